// Modbus TCP resync: a broken or truncated reply from one unit must never cost the replies that
// follow it. The master runs on the in-memory link against the simulator's own slave code
// (ModbusSlaveServer.serve) with its real wire faults; register contents are random, zeros
// included, because `00 00` inside a payload is exactly what used to look like the next header.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLink, type MemoryConnection } from '../../protocols/links/memory-link.js';
import { ModbusMaster, type ResyncEvent } from '../../protocols/modbus/master.js';
import { encodeMbapFrame, MbapReader } from '../../protocols/modbus/mbap-framing.js';
import type { WireFault } from '../../protocols/modbus/types.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, MemoryDevice, outcome, TABLE_SIZE } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** xorshift32: reproducible random numbers, so a failing seed can be rerun. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Register words of which about a third are 0x0000 and some are header-like 0x0190 / 0x0001. */
function randomise(device: MemoryDevice, rand: () => number): void {
  for (let i = 0; i < TABLE_SIZE; i++) {
    const r = rand();
    device.holding[i] = r < 0.33 ? 0 : r < 0.4 ? 0x0190 : r < 0.45 ? 0x0001 : Math.floor(rand() * 0x10000);
  }
}

function rig(opts: { responseTimeoutMs: number; resyncAfterBadHeaders?: number }) {
  const devices = [1, 2, 3].map((u) => new MemoryDevice(u));
  const server = new ModbusSlaveServer({ type: 'tcp', port: 0 }, devices);
  const link = new MemoryLink('tcp-gateway');
  link.peer.on('connection', (c: MemoryConnection) => server.serve(c));
  const master = new ModbusMaster({ link, framing: 'tcp', responseTimeoutMs: opts.responseTimeoutMs, reopenMinMs: 10, reopenMaxMs: 50, ...(opts.resyncAfterBadHeaders ? { resyncAfterBadHeaders: opts.resyncAfterBadHeaders } : {}) });
  cleanup.add(() => master.close(), null);
  const resyncs: ResyncEvent[] = [];
  master.on('resync', (e: ResyncEvent) => resyncs.push(e));
  return { devices, server, link, master, resyncs };
}

async function propertyRun(fault: WireFault, seed: number) {
  const rand = rng(seed);
  const r = rig({ responseTimeoutMs: 40 });
  for (const d of r.devices) randomise(d, rand);
  await r.master.open();
  const steps = 12;
  const faultAt = 1 + Math.floor(rand() * (steps - 2));
  const failures: string[] = [];
  for (let i = 0; i < steps; i++) {
    const unit = 1 + Math.floor(rand() * 3);
    const count = 1 + Math.floor(rand() * 20);
    const address = Math.floor(rand() * (TABLE_SIZE - count));
    const device = r.devices[unit - 1]!;
    if (i === faultAt) device.faults.push(fault);
    const got = await outcome(r.master.read(unit, 'holding', address, count));
    if (i === faultAt) {
      if (got.ok) failures.push(`step ${i}: the faulty reply was taken as an answer`);
      continue;
    }
    const want = Array.from(device.holding.subarray(address, address + count));
    if (!got.ok) failures.push(`step ${i} (unit ${unit}, ${count} at ${address}): ${got.code}`);
    else if (JSON.stringify(got.value) !== JSON.stringify(want)) failures.push(`step ${i}: wrong values`);
  }
  return { failures, stats: r.master.stats(), opens: r.link.peer.opens, resyncs: r.resyncs };
}

describe('Modbus TCP resync against payload bytes that look like headers', () => {
  it('after one broken MBAP header (crc-error fault) every following genuine reply is delivered, 100 random register images', async () => {
    const lost: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const run = await propertyRun('crc-error', seed);
      lost.push(...run.failures.map((f) => `seed ${seed} ${f}`));
      // One broken header is not "out of step": the buffer is dropped, the connection kept.
      if (run.stats.badHeaders !== 1 || run.opens !== 1) lost.push(`seed ${seed}: ${run.stats.badHeaders} bad headers, ${run.opens} connections`);
    }
    expect(lost).toEqual([]);
  });

  it('after one truncated reply every following genuine reply is delivered, 100 random register images; the connection is cycled once', async () => {
    const lost: string[] = [];
    for (let seed = 101; seed <= 200; seed++) {
      const run = await propertyRun('truncate', seed);
      lost.push(...run.failures.map((f) => `seed ${seed} ${f}`));
      const reasons = run.resyncs.map((e) => e.reason).join(',');
      if (reasons !== 'partial-frame' || run.opens !== 2) lost.push(`seed ${seed}: resyncs [${reasons}], ${run.opens} connections`);
    }
    expect(lost).toEqual([]);
  });

  it('a broken header fails its own request at once (naming the header), not after the timeout', async () => {
    const r = rig({ responseTimeoutMs: 5_000 });
    await r.master.open();
    r.devices[1]!.faults.push('crc-error');
    const started = performance.now();
    const got = await outcome(r.master.read(2, 'holding', 0, 2));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(got).toMatchObject({ ok: false, code: 'malformed' });
    expect((got as { error: Error }).error.message).toMatch(/unit 2: broken MBAP header \(transaction \d+, protocol id 1, length 7, unit 2\) on memory tcp-gateway/);
    expect(await r.master.read(1, 'holding', 0, 2)).toEqual([1000, 1001]);
  });

  it('N broken headers in a row cycle the connection; queued requests wait for it instead of failing', async () => {
    const r = rig({ responseTimeoutMs: 200, resyncAfterBadHeaders: 2 });
    await r.master.open();
    r.devices[0]!.faults.push('crc-error', 'crc-error');
    const first = outcome(r.master.read(1, 'holding', 0, 1));
    const second = outcome(r.master.read(1, 'holding', 0, 1));
    const queued = [r.master.read(2, 'holding', 5, 1), r.master.read(3, 'holding', 7, 2)];
    expect(await first).toMatchObject({ ok: false, code: 'malformed' });
    expect(await second).toMatchObject({ ok: false, code: 'malformed' });
    expect(await Promise.all(queued)).toEqual([[2005], [3007, 3008]]);
    expect(r.resyncs).toEqual([{ reason: 'bad-headers', detail: expect.stringMatching(/^2 broken MBAP headers in a row, last \(transaction \d+, protocol id 1/) }]);
    expect(r.master.stats()).toMatchObject({ resyncs: 1, reopens: 0, badHeaders: 2 });
    expect(r.link.peer.opens).toBe(2);
  });

  it('a resync whose reopen fails is a dropped link: pending requests fail offline and the backoff brings it back', async () => {
    const r = rig({ responseTimeoutMs: 30 });
    await r.master.open();
    r.devices[0]!.faults.push('truncate');
    r.link.peer.refuseOpens = 1;
    const cut = outcome(r.master.read(1, 'holding', 0, 4));
    const queued = outcome(r.master.read(2, 'holding', 0, 1));
    expect(await cut).toMatchObject({ ok: false, code: 'timeout' });
    expect(await queued).toMatchObject({ ok: false, code: 'offline' });
    await new Promise<void>((resolve) => r.master.once('open', () => resolve()));
    expect(await r.master.read(2, 'holding', 0, 1)).toEqual([2000]);
  });

  it('a reply that stops half-way is cut after partialFrameMs, not the whole response timeout; one whose pieces come promptly is read', async () => {
    // A hand-scripted peer: answers each read with two registers, in two pieces `gapMs` apart.
    const link = new MemoryLink('split-replies');
    let gapMs = 10;
    link.peer.on('connection', (c: MemoryConnection) => {
      const reader = new MbapReader((tid, unit) => {
        const reply = encodeMbapFrame(tid, unit, Buffer.from([0x03, 0x04, 0x00, 0x00, 0x01, 0x90]));
        c.write(reply.subarray(0, 9));
        setTimeout(() => c.write(reply.subarray(9)), gapMs);
      });
      c.on('data', (b: Buffer) => reader.push(b));
    });
    const master = new ModbusMaster({ link, framing: 'tcp', responseTimeoutMs: 2_000, partialFrameMs: 50, reopenMinMs: 10, reopenMaxMs: 50 });
    cleanup.add(() => master.close(), null);
    await master.open();
    expect(await master.read(1, 'holding', 0, 2)).toEqual([0, 0x0190]);
    gapMs = 400;
    const started = performance.now();
    const cut = await outcome(master.read(1, 'holding', 0, 2));
    const took = performance.now() - started;
    expect(cut).toMatchObject({ ok: false, code: 'timeout' });
    expect((cut as { error: Error }).error.message).toMatch(/reply cut short \(9 bytes of a frame, nothing more for 50 ms\)/);
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(1_000);
    await waitFor(() => master.stats().resyncs === 1, { what: 'the connection to be cycled', timeoutMs: 2_000 });
    gapMs = 10;
    expect(await master.read(1, 'holding', 0, 2)).toEqual([0, 0x0190]);
  });
});
