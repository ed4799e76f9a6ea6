import { once } from 'node:events';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { ModbusMaster, type DiscardEvent } from '../../protocols/modbus/master.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, MemoryDevice, nextRequest, outcome } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function startServer(devices: MemoryDevice[], port = 0): Promise<{ server: ModbusSlaveServer; port: number }> {
  const server = new ModbusSlaveServer({ type: 'tcp', port }, devices);
  const started = await server.start();
  cleanup.add(() => server.stop(), null);
  return { server, port: started.port! };
}

function tcpMaster(port: number, extra: Partial<ConstructorParameters<typeof ModbusMaster>[0]> = {}): ModbusMaster {
  const master = new ModbusMaster({
    link: new TcpLink({ host: '127.0.0.1', port, connectTimeoutMs: 1_000 }),
    framing: 'tcp',
    responseTimeoutMs: 500,
    reopenMinMs: 20,
    reopenMaxMs: 100,
    ...extra,
  });
  cleanup.add(() => master.close(), null);
  return master;
}

describe('ModbusMaster over TCP against modbus-serial ServerTCP (independent implementation)', () => {
  it('reads and writes every table and maps an exception reply', async () => {
    const holding = new Map<number, number>([[10, 1234], [11, 65535]]);
    const coils = new Map<number, boolean>([[3, true]]);
    const vector = {
      getHoldingRegister: (addr: number) => {
        if (addr >= 500) throw { modbusErrorCode: 0x02, msg: 'out of range' };
        return holding.get(addr) ?? 0;
      },
      getInputRegister: (addr: number) => addr + 7,
      getCoil: (addr: number) => coils.get(addr) ?? false,
      getDiscreteInput: (addr: number) => addr % 2 === 0,
      setRegister: (addr: number, value: number) => void holding.set(addr, value),
      setCoil: (addr: number, value: boolean) => void coils.set(addr, value),
    };
    const reference = new ModbusRTU.ServerTCP(vector, { host: '127.0.0.1', port: 0, unitID: 1 });
    cleanup.add(() => new Promise<void>((resolve) => reference.close(() => resolve())), null);
    await once(reference, 'initialized');
    // ServerTCP keeps its net.Server private; port 0 makes it listen on an ephemeral port we can look up.
    const port = ((reference as unknown as { _server: import('node:net').Server })._server.address() as import('node:net').AddressInfo).port;

    const master = tcpMaster(port);
    await master.open();
    expect(await master.read(1, 'holding', 10, 2)).toEqual([1234, 65535]);
    expect(await master.read(1, 'input', 5, 3)).toEqual([12, 13, 14]);
    expect(await master.read(1, 'coil', 2, 3)).toEqual([0, 1, 0]);
    expect(await master.read(1, 'discrete', 0, 4)).toEqual([1, 0, 1, 0]);
    await master.write(1, 'holding', 20, [42]);
    await master.write(1, 'holding', 30, [1, 2, 3]);
    await master.write(1, 'coil', 7, [1]);
    await master.write(1, 'coil', 8, [1, 0, 1]);
    expect([holding.get(20), holding.get(30), holding.get(31), holding.get(32)]).toEqual([42, 1, 2, 3]);
    expect([coils.get(7), coils.get(8), coils.get(9), coils.get(10)]).toEqual([true, true, false, true]);
    const failed = await outcome(master.read(1, 'holding', 600, 1));
    expect(failed).toMatchObject({ ok: false, code: 'exception' });
    expect((failed as { error: { exceptionCode?: number; unit?: number } }).error).toMatchObject({ exceptionCode: 2, unit: 1 });
    expect(master.stats()).toMatchObject({ transactions: 9, exceptions: 1, timeouts: 0 });
  });
});

describe('ModbusMaster over TCP against ModbusSlaveServer', () => {
  it('reads, writes and reports exceptions, including an unhosted unit (gateway exception 0x0B)', async () => {
    const device = new MemoryDevice(5);
    const { port } = await startServer([device]);
    const master = tcpMaster(port);
    await master.open();
    expect(await master.read(5, 'holding', 0, 3)).toEqual([5000, 5001, 5002]);
    expect(await master.read(5, 'input', 1, 1)).toEqual([6001]);
    await master.write(5, 'holding', 100, [7, 8, 9]);
    await master.write(5, 'coil', 4, [1, 1]);
    expect(await master.read(5, 'holding', 100, 3)).toEqual([7, 8, 9]);
    expect(await master.read(5, 'coil', 3, 4)).toEqual([0, 1, 1, 0]);
    expect(await outcome(master.read(5, 'holding', 999, 2))).toMatchObject({ ok: false, code: 'exception' });
    const unhosted = await outcome(master.read(6, 'holding', 0, 1));
    expect(unhosted).toMatchObject({ ok: false, code: 'exception' });
    expect((unhosted as { error: { exceptionCode?: number } }).error.exceptionCode).toBe(0x0b);
  });

  it('discards replies with the wrong unit or function, times out, then reads normally', async () => {
    const device = new MemoryDevice(1);
    const { port } = await startServer([device]);
    const master = tcpMaster(port, { responseTimeoutMs: 150 });
    const discards: DiscardEvent[] = [];
    master.on('discard', (d: DiscardEvent) => discards.push(d));
    await master.open();
    device.faults.push('wrong-unit', 'wrong-function');
    expect(await outcome(master.read(1, 'holding', 0, 2))).toMatchObject({ ok: false, code: 'timeout' });
    expect(await outcome(master.read(1, 'holding', 0, 2))).toMatchObject({ ok: false, code: 'timeout' });
    expect(discards.map((d) => d.reason)).toEqual(['wrong-unit', 'wrong-function']);
    expect(await master.read(1, 'holding', 0, 2)).toEqual([1000, 1001]);
    expect(master.stats()).toMatchObject({ timeouts: 2, discardedFrames: 2 });
    expect(master.isOpen).toBe(true);
  });

  it('survives garbage, broken headers and injected noise, and the next read succeeds', async () => {
    const device = new MemoryDevice(1);
    const { server, port } = await startServer([device]);
    const master = tcpMaster(port, { responseTimeoutMs: 150 });
    await master.open();
    device.faults.push('garbage', 'crc-error');
    // A broken header fails its request at once; random garbage almost always is one (else it
    // is a header promising bytes that never come: a timeout).
    expect(await outcome(master.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: expect.stringMatching(/^(malformed|timeout)$/) });
    expect(await outcome(master.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'malformed' });
    const before = master.stats().discardedBytes;
    server.inject(Buffer.from('this is not modbus'));
    await waitFor(() => master.stats().discardedBytes >= before + 18, { timeoutMs: 2_000, what: 'noise to be discarded' });
    // Three broken headers in a row: the stream is out of step, the connection is cycled.
    await waitFor(() => master.stats().resyncs === 1 && master.isOpen, { timeoutMs: 2_000, what: 'the connection to be cycled' });
    expect(await master.read(1, 'holding', 3, 2)).toEqual([1003, 1004]);
  });

  it('never takes a late reply to a timed-out request as the answer to the next one', async () => {
    const device = new MemoryDevice(1);
    device.holding[0] = 111;
    device.delayMs = 150;
    const { server, port } = await startServer([device]);
    const master = tcpMaster(port);
    const discards: DiscardEvent[] = [];
    master.on('discard', (d: DiscardEvent) => discards.push(d));
    await master.open();
    // The device answers 111 after 150 ms; the master gives up at 60 ms.
    const first = master.read(1, 'holding', 0, 1, { timeoutMs: 60 });
    await nextRequest(server);
    device.holding[0] = 222;
    expect(await outcome(first)).toMatchObject({ ok: false, code: 'timeout' });
    // Same unit, function and length: only the transaction id tells the stale 111 from the fresh 222.
    expect(await master.read(1, 'holding', 0, 1, { timeoutMs: 1_000 })).toEqual([222]);
    expect(discards).toContainEqual({ bytes: 11, reason: 'transaction-id' });
  });

  it('high-priority writes overtake queued reads', async () => {
    const device = new MemoryDevice(1);
    device.delayMs = 20;
    const { server, port } = await startServer([device]);
    const master = tcpMaster(port);
    await master.open();
    const order: string[] = [];
    server.on('request', (e: { request: { fn: number } | null }) => order.push(e.request?.fn === 0x05 ? 'cut-off' : 'read'));
    const reads = Array.from({ length: 5 }, () => master.read(1, 'holding', 0, 1));
    expect(master.stats().queued).toBe(4);
    const cutOff = master.write(1, 'coil', 0, [1], { priority: 'high' });
    await Promise.all([...reads, cutOff]);
    expect(order).toEqual(['read', 'cut-off', 'read', 'read', 'read', 'read']);
    expect(device.coils[0]).toBe(1);
  });

  it('a server restart fails pending requests as offline, then reads succeed again on the same master', async () => {
    const device = new MemoryDevice(1);
    const { server, port } = await startServer([device]);
    const master = tcpMaster(port);
    await master.open();
    expect(await master.read(1, 'holding', 0, 1)).toEqual([1000]);

    device.delayMs = 10_000; // the in-flight read will still be waiting when the server goes away
    const inFlight = master.read(1, 'holding', 0, 1, { timeoutMs: 5_000 });
    const queued = master.read(1, 'holding', 1, 1, { timeoutMs: 5_000 });
    await nextRequest(server);
    const closed = once(master, 'close');
    await server.stop();
    await closed;
    expect(await outcome(inFlight)).toMatchObject({ ok: false, code: 'offline' });
    expect(await outcome(queued)).toMatchObject({ ok: false, code: 'offline' });
    expect(master.isOpen).toBe(false);
    expect(await outcome(master.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'offline' });

    device.delayMs = 0;
    const reopened = once(master, 'open');
    const again = new ModbusSlaveServer({ type: 'tcp', port }, [device]);
    await again.start();
    cleanup.add(() => again.stop(), null);
    await reopened;
    expect(await master.read(1, 'holding', 0, 1)).toEqual([1000]);
    expect(master.stats().reopens).toBe(1);
  });

  it('open() rejects as offline when nothing listens, keeps retrying and comes up by itself', async () => {
    const device = new MemoryDevice(1);
    const probe = await startServer([]);
    const port = probe.port;
    await probe.server.stop();
    const master = tcpMaster(port);
    expect(await outcome(master.open())).toMatchObject({ ok: false, code: 'offline' });
    const opened = once(master, 'open');
    const server = new ModbusSlaveServer({ type: 'tcp', port }, [device]);
    await server.start();
    cleanup.add(() => server.stop(), null);
    await opened;
    expect(await master.read(1, 'holding', 2, 1)).toEqual([1002]);
  });

  it('close() rejects queued requests with closed and stops reopening', async () => {
    const device = new MemoryDevice(1);
    device.delayMs = 200;
    const { port } = await startServer([device]);
    const master = tcpMaster(port);
    await master.open();
    const pending = [master.read(1, 'holding', 0, 1), master.read(1, 'holding', 0, 1)].map(outcome);
    await master.close();
    for (const p of pending) expect(await p).toMatchObject({ ok: false, code: 'closed' });
    expect(await outcome(master.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'closed' });
    expect(master.isOpen).toBe(false);
  });

  it('validates options and arguments with errors that name the bad value', async () => {
    const link = new TcpLink({ host: '127.0.0.1', port: 1, connectTimeoutMs: 100 });
    expect(() => new ModbusMaster({ link, framing: 'tcp', responseTimeoutMs: 0 })).toThrow(/responseTimeoutMs.*got 0/);
    expect(() => new ModbusMaster({ link, framing: 'ascii' as 'tcp', responseTimeoutMs: 100 })).toThrow(/ascii/);
    expect(() => new ModbusMaster({ link, framing: 'rtu', responseTimeoutMs: 100, reopenMinMs: 500, reopenMaxMs: 100 })).toThrow(TypeError);
    expect(() => new TcpLink({ host: '127.0.0.1', port: 70000, connectTimeoutMs: 100 })).toThrow(/70000/);
    const rtu = new ModbusMaster({ link, framing: 'rtu', responseTimeoutMs: 100 });
    expect(await outcome(rtu.read(0, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'malformed' });
    expect(await outcome(rtu.read(1, 'holding', 0, 200))).toMatchObject({ ok: false, code: 'malformed' });
    // Not opened yet: offline, at once.
    expect(await outcome(rtu.read(1, 'holding', 0, 1))).toMatchObject({ ok: false, code: 'offline' });
  });
});
