// Unit tests of the RTU master on the in-memory link (protocols/links/memory-link.ts) against the
// simulator's own RTU slave code: no socat, no PTY. The same behaviour over a real PTY and a real
// socket stays in master-rtu.test.ts (integration); this file is where RTU framing and master logic
// are pinned down quickly, with every wire fault the simulator has and random register contents.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLink, type MemoryConnection } from '../../protocols/links/memory-link.js';
import { ModbusMaster, type DiscardEvent } from '../../protocols/modbus/master.js';
import type { WireFault } from '../../protocols/modbus/types.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, MemoryDevice, outcome, TABLE_SIZE } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function rtuBus(units: number[], responseTimeoutMs = 60) {
  const devices = units.map((u) => new MemoryDevice(u));
  // rtu-over-tcp without a baud rate: RTU framing and CRC, no simulated line time.
  const server = new ModbusSlaveServer({ type: 'rtu-over-tcp', port: 0 }, devices);
  const link = new MemoryLink('rs485');
  link.peer.on('connection', (c: MemoryConnection) => server.serve(c));
  const master = new ModbusMaster({ link, framing: 'rtu', responseTimeoutMs, reopenMinMs: 10, reopenMaxMs: 40 });
  cleanup.add(() => master.close(), null);
  const discards: DiscardEvent[] = [];
  master.on('discard', (d: DiscardEvent) => discards.push(d));
  return { devices, server, link, master, discards };
}

describe('ModbusMaster (RTU) on the in-memory link', () => {
  it('reads and writes every table on a shared line; an absent unit is silent (timeout)', async () => {
    const { master, devices } = rtuBus([1, 2]);
    await master.open();
    expect(await master.read(1, 'holding', 0, 3)).toEqual([1000, 1001, 1002]);
    expect(await master.read(2, 'input', 10, 2)).toEqual([3010, 3011]);
    await master.write(2, 'holding', 5, [0xbeef]);
    await master.write(1, 'coil', 0, [1, 0, 1]);
    expect(devices[1]!.holding[5]).toBe(0xbeef);
    expect(await master.read(1, 'coil', 0, 3)).toEqual([1, 0, 1]);
    expect(await outcome(master.read(9, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'timeout' });
  });

  for (const fault of ['crc-error', 'truncate', 'garbage', 'wrong-unit', 'wrong-function', 'no-response'] as WireFault[]) {
    it(`a ${fault} reply from one unit fails that request only; the next request to its neighbour reads the right values`, async () => {
      const { master, devices } = rtuBus([1, 2, 3]);
      await master.open();
      // Random register images, a third of them zeros.
      for (const d of devices) for (let i = 0; i < TABLE_SIZE; i++) d.holding[i] = Math.random() < 0.33 ? 0 : Math.floor(Math.random() * 0x10000);
      devices[1]!.faults.push(fault);
      expect(await outcome(master.read(2, 'holding', 10, 4))).toMatchObject({ ok: false, code: 'timeout' });
      expect(await master.read(1, 'holding', 10, 4)).toEqual(Array.from(devices[0]!.holding.subarray(10, 14)));
      expect(await master.read(3, 'holding', 20, 8)).toEqual(Array.from(devices[2]!.holding.subarray(20, 28)));
      expect(await master.read(2, 'holding', 10, 4)).toEqual(Array.from(devices[1]!.holding.subarray(10, 14)));
    });
  }

  it('a crc-error is counted as such, and the broken bytes are discarded', async () => {
    const { master, devices, discards } = rtuBus([1]);
    await master.open();
    devices[0]!.faults.push('crc-error');
    await outcome(master.read(1, 'holding', 0, 2));
    expect(master.stats().crcErrors).toBe(1);
    expect(discards.some((d) => d.reason === 'garbage' || d.reason === 'stale')).toBe(true);
  });

  it('the far end drops the line: pending requests fail offline at once, and the master reopens by itself', async () => {
    const { master, devices, link } = rtuBus([1], 5_000);
    await master.open();
    devices[0]!.delayMs = 10_000;
    const inFlight = outcome(master.read(1, 'holding', 0, 1));
    await waitFor(() => devices[0]!.handled.length === 1, { what: 'the request to reach the slave', timeoutMs: 2_000 });
    link.peer.current!.drop(new Error('EIO: adapter unplugged'));
    expect(await inFlight).toMatchObject({ ok: false, code: 'offline' });
    devices[0]!.delayMs = 0;
    await waitFor(() => master.isOpen, { what: 'the reopen', timeoutMs: 2_000 });
    expect(await master.read(1, 'holding', 1, 1)).toEqual([1001]);
    expect(master.stats().reopens).toBe(1);
    expect(link.peer.opens).toBe(2);
  });
});
