import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { ModbusMaster, type DiscardEvent } from '../../protocols/modbus/master.js';
import { buildRtuFrame } from '../../protocols/modbus/rtu-framing.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, MemoryDevice, nextRequest, outcome } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Bus {
  pair: PtyPair;
  server: ModbusSlaveServer;
  master: ModbusMaster;
  discards: DiscardEvent[];
}

/** A socat PTY pair with the simulator on one end and our master (serial link, RTU) on the other. */
async function serialBus(devices: MemoryDevice[], opts: { baudRate?: number; responseTimeoutMs?: number } = {}): Promise<Bus> {
  const baudRate = opts.baudRate ?? 115_200;
  const pair = cleanup.add(() => pair.dispose(), await PtyPair.create());
  const server = new ModbusSlaveServer({ type: 'rtu-serial', path: pair.slavePath, baudRate }, devices);
  await server.start();
  cleanup.add(() => server.stop(), null);
  const master = new ModbusMaster({
    link: new SerialLink({ path: pair.masterPath, baudRate }),
    framing: 'rtu',
    responseTimeoutMs: opts.responseTimeoutMs ?? 300,
    reopenMinMs: 20,
    reopenMaxMs: 100,
  });
  cleanup.add(() => master.close(), null);
  const discards: DiscardEvent[] = [];
  master.on('discard', (d: DiscardEvent) => discards.push(d));
  await master.open();
  return { pair, server, master, discards };
}

describe('ModbusMaster (RTU) over a socat PTY against ModbusSlaveServer', () => {
  it('reads and writes with CRC-checked frames on a shared bus of several units', async () => {
    const a = new MemoryDevice(1);
    const b = new MemoryDevice(2);
    const { master, server } = await serialBus([a, b]);
    expect(await master.read(1, 'holding', 0, 3)).toEqual([1000, 1001, 1002]);
    expect(await master.read(2, 'input', 10, 2)).toEqual([3010, 3011]);
    await master.write(2, 'holding', 5, [0xbeef]);
    await master.write(1, 'coil', 0, [1, 0, 1, 1]);
    expect(b.holding[5]).toBe(0xbeef);
    expect([...a.coils.subarray(0, 4)]).toEqual([1, 0, 1, 1]);
    expect(await master.read(1, 'coil', 0, 4)).toEqual([1, 0, 1, 1]);
    expect(await master.read(2, 'holding', 0, 125)).toHaveLength(125);
    expect(await outcome(master.read(1, 'holding', 998, 5))).toMatchObject({ ok: false, code: 'exception' });
    // A unit nobody hosts stays silent on a serial bus.
    expect(await outcome(master.read(9, 'holding', 0, 1, { timeoutMs: 100 }))).toMatchObject({ ok: false, code: 'timeout' });
    expect(server.requests).toBe(8);
  });

  it('waits the real line time: a PTY alone would answer a 9600-baud read in well under a millisecond', async () => {
    const { master } = await serialBus([new MemoryDevice(1)], { baudRate: 9600 });
    await master.read(1, 'holding', 0, 10); // warm-up
    const started = performance.now();
    await master.read(1, 'holding', 0, 10);
    const elapsed = performance.now() - started;
    // Request 8 bytes + reply 25 bytes, 10 bits each, at 9600 baud = 34.4 ms.
    expect(elapsed).toBeGreaterThanOrEqual(34);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('broadcast writes (unit 0) reach every device and resolve without a reply', async () => {
    const a = new MemoryDevice(1);
    const b = new MemoryDevice(2);
    const { master, server } = await serialBus([a, b]);
    const seen = nextRequest(server);
    await master.write(0, 'holding', 7, [321]);
    expect((await seen).unit).toBe(0);
    await waitFor(() => a.holding[7] === 321 && b.holding[7] === 321, { timeoutMs: 2_000, what: 'broadcast to land' });
    expect(await master.read(2, 'holding', 7, 1)).toEqual([321]);
    expect(master.stats().timeouts).toBe(0);
  });

  it('discards replies with the wrong unit or function and keeps working', async () => {
    const device = new MemoryDevice(3);
    const { master, discards } = await serialBus([device], { responseTimeoutMs: 150 });
    device.faults.push('wrong-unit', 'wrong-function');
    expect(await outcome(master.read(3, 'holding', 0, 2))).toMatchObject({ ok: false, code: 'timeout' });
    expect(await outcome(master.read(3, 'holding', 0, 2))).toMatchObject({ ok: false, code: 'timeout' });
    expect(discards.map((d) => d.reason)).toEqual(['wrong-unit', 'wrong-function']);
    expect(await master.read(3, 'holding', 0, 2)).toEqual([3000, 3001]);
    expect(master.stats()).toMatchObject({ discardedFrames: 2, timeouts: 2 });
  });

  it('survives garbage replies, broken CRCs and injected noise; the next valid read succeeds', async () => {
    const device = new MemoryDevice(4);
    const { master, server } = await serialBus([device], { responseTimeoutMs: 150 });
    device.faults.push('garbage', 'crc-error');
    expect(await outcome(master.read(4, 'holding', 0, 4))).toMatchObject({ ok: false, code: 'timeout' });
    expect(await outcome(master.read(4, 'holding', 0, 4))).toMatchObject({ ok: false, code: 'timeout' });
    expect(master.stats().crcErrors).toBeGreaterThanOrEqual(1);
    // Noise and a foreign frame (another master's request) on the line, then a read. The PTY keeps
    // order, so all 13 injected bytes reach the master before the reply does, and must be dropped.
    expect(await master.read(4, 'holding', 0, 1)).toEqual([4000]); // also flushes what is left of the broken replies
    const before = master.stats().discardedBytes;
    server.inject(Buffer.concat([Buffer.from([0xff, 0x00, 0x04, 0x03, 0x99]), buildRtuFrame(4, Buffer.from([0x03, 0x00, 0x00, 0x00, 0x01]))]));
    expect(await master.read(4, 'holding', 1, 2)).toEqual([4001, 4002]);
    expect(master.stats().discardedBytes - before).toBe(13);
    expect(master.isOpen).toBe(true);
  });

  it('a late reply from a slow unit is discarded, not taken as the answer to the next request', async () => {
    const slow = new MemoryDevice(1);
    const other = new MemoryDevice(2);
    // The late reply (due ~150 ms after the first request) must land while the master waits for the
    // next one, which takes 400 ms: a margin no scheduling jitter on a busy 2-core box can eat.
    slow.delayMs = 150;
    other.delayMs = 400;
    const { master, discards } = await serialBus([slow, other], { responseTimeoutMs: 1_000 });
    // Unit 1 answers after 150 ms; the master gives up at 60 ms and moves on to unit 2.
    expect(await outcome(master.read(1, 'holding', 0, 2, { timeoutMs: 60 }))).toMatchObject({ ok: false, code: 'timeout' });
    expect(await master.read(2, 'holding', 0, 2)).toEqual([2000, 2001]);
    expect(discards.map((d) => d.reason)).toContain('wrong-unit');

    // Same unit, a different block: the late reply has the wrong length.
    expect(await outcome(master.read(1, 'holding', 0, 2, { timeoutMs: 60 }))).toMatchObject({ ok: false, code: 'timeout' });
    slow.delayMs = 400;
    expect(await master.read(1, 'holding', 10, 3)).toEqual([1010, 1011, 1012]);
    expect(discards.map((d) => d.reason)).toContain('wrong-length');

    // Same unit, a write: the late echo of the previous write does not confirm the next one.
    slow.delayMs = 150;
    expect(await outcome(master.write(1, 'holding', 20, [1], { timeoutMs: 60 }))).toMatchObject({ ok: false, code: 'timeout' });
    slow.delayMs = 400;
    await master.write(1, 'holding', 20, [2]);
    expect(discards.map((d) => d.reason)).toContain('mismatched-echo');
    expect(slow.holding[20]).toBe(2);
  });

  it('PTY killed (adapter unplugged): offline errors at once, then reads resume on the same master after replug', async () => {
    const device = new MemoryDevice(1);
    const { pair, server, master } = await serialBus([device]);
    expect(await master.read(1, 'holding', 0, 1)).toEqual([1000]);

    device.delayMs = 5_000;
    const inFlight = outcome(master.read(1, 'holding', 0, 1, { timeoutMs: 4_000 }));
    await nextRequest(server);
    const masterClosed = once(master, 'close');
    const serverClosed = once(server, 'close');
    await pair.kill();
    await Promise.all([masterClosed, serverClosed]);
    expect(await inFlight).toMatchObject({ ok: false, code: 'offline' });
    const started = performance.now();
    expect(await outcome(master.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'offline' });
    expect(performance.now() - started).toBeLessThan(50);

    device.delayMs = 0;
    const reopened = once(master, 'open');
    await pair.recreate();
    await server.start();
    await reopened;
    expect(await master.read(1, 'holding', 0, 2)).toEqual([1000, 1001]);
    expect(master.stats().reopens).toBe(1);
  });
});

describe('ModbusMaster (RTU) over TCP to a serial converter', () => {
  it('frames RTU with CRC on a TCP socket', async () => {
    const device = new MemoryDevice(7);
    const server = new ModbusSlaveServer({ type: 'rtu-over-tcp', port: 0, baudRate: 115_200 }, [device]);
    const { port } = await server.start();
    cleanup.add(() => server.stop(), null);
    const master = new ModbusMaster({ link: new TcpLink({ host: '127.0.0.1', port: port!, connectTimeoutMs: 1_000 }), framing: 'rtu', responseTimeoutMs: 300 });
    cleanup.add(() => master.close(), null);
    await master.open();
    await master.write(7, 'holding', 1, [11, 12]);
    expect(await master.read(7, 'holding', 0, 3)).toEqual([7000, 11, 12]);
    device.faults.push('crc-error');
    expect(await outcome(master.read(7, 'holding', 0, 1, { timeoutMs: 100 }))).toMatchObject({ ok: false, code: 'timeout' });
    expect(await master.read(7, 'input', 0, 1)).toEqual([8000]);
  });
});
