// modbus-serial's client (an independent implementation) against our ModbusSlaveServer:
// proves the slave's MBAP framing, RTU framing and CRC, and its exception replies.
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { buildRtuFrame } from '../../protocols/modbus/rtu-framing.js';
import { encodeReadRequest } from '../../protocols/modbus/pdu.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, MemoryDevice } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

type Client = InstanceType<typeof ModbusRTU>;

function closeClient(client: Client): Promise<void> {
  return new Promise((resolve) => (client.isOpen ? client.close(() => resolve()) : resolve()));
}

async function rejection(p: Promise<unknown>): Promise<{ message: string; modbusCode?: number }> {
  try {
    await p;
  } catch (err) {
    return err as { message: string; modbusCode?: number };
  }
  throw new Error('expected the request to fail');
}

/** The same conversation over any transport: every function code, values checked on both sides. */
async function exerciseAllFunctions(client: Client, device: MemoryDevice): Promise<void> {
  client.setID(device.unit);
  const base = device.unit * 1000;
  expect((await client.readHoldingRegisters(0, 4)).data).toEqual([base, base + 1, base + 2, base + 3]);
  expect((await client.readInputRegisters(2, 2)).data).toEqual([base + 1002, base + 1003]);
  await client.writeRegister(10, 0xcafe);
  expect(device.holding[10]).toBe(0xcafe);
  await client.writeRegisters(20, [1, 2, 3]);
  expect([...device.holding.subarray(20, 23)]).toEqual([1, 2, 3]);
  await client.writeCoil(5, true);
  await client.writeCoils(8, [true, false, true, true, false, false, false, false, true]);
  expect([...device.coils.subarray(5, 17)]).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1]);
  expect((await client.readCoils(5, 4)).data.slice(0, 4)).toEqual([true, false, false, true]);
  expect((await client.readDiscreteInputs(8, 4)).data.slice(0, 4)).toEqual([true, false, true, true]);
  expect((await client.readHoldingRegisters(0, 125)).data).toHaveLength(125);
  const err = await rejection(client.readHoldingRegisters(998, 5));
  expect(err.modbusCode).toBe(2);
}

describe('modbus-serial client against ModbusSlaveServer', () => {
  it('over Modbus TCP: every function code, exceptions, and 0x0B for a unit it does not host', async () => {
    const device = new MemoryDevice(3);
    const server = new ModbusSlaveServer({ type: 'tcp', port: 0 }, [device]);
    const { port } = await server.start();
    cleanup.add(() => server.stop(), null);
    const client = new ModbusRTU();
    cleanup.add(() => closeClient(client), null);
    await client.connectTCP('127.0.0.1', { port: port! });
    client.setTimeout(1_000);
    await exerciseAllFunctions(client, device);
    client.setID(4);
    expect((await rejection(client.readHoldingRegisters(0, 1))).modbusCode).toBe(0x0b);
  });

  it('over a socat PTY (RTU with CRC): every function code on a two-device bus; silence for absent units; broken CRC detected', async () => {
    const pair = await PtyPair.create();
    cleanup.add(() => pair.dispose(), null);
    const a = new MemoryDevice(1);
    const b = new MemoryDevice(2);
    const server = new ModbusSlaveServer({ type: 'rtu-serial', path: pair.slavePath, baudRate: 38_400 }, [a, b]);
    await server.start();
    cleanup.add(() => server.stop(), null);
    const client = new ModbusRTU();
    cleanup.add(() => closeClient(client), null);
    await client.connectRTUBuffered(pair.masterPath, { baudRate: 38_400 });
    client.setTimeout(300);
    await exerciseAllFunctions(client, a);
    await exerciseAllFunctions(client, b);

    client.setID(9);
    expect((await rejection(client.readHoldingRegisters(0, 1))).message).toMatch(/timed out/i);
    b.faults.push('crc-error');
    client.setID(2);
    expect((await rejection(client.readHoldingRegisters(0, 1))).message).toMatch(/crc/i);
  });
});

describe('ModbusSlaveServer as a real RTU slave', () => {
  it('silently drops requests with a bad CRC and answers the next good one', async () => {
    const pair = await PtyPair.create();
    cleanup.add(() => pair.dispose(), null);
    const device = new MemoryDevice(1);
    const server = new ModbusSlaveServer({ type: 'rtu-serial', path: pair.slavePath, baudRate: 115_200 }, [device]);
    await server.start();
    cleanup.add(() => server.stop(), null);
    const line = new SerialLink({ path: pair.masterPath, baudRate: 115_200 });
    await line.open();
    cleanup.add(() => line.close(), null);
    const received: Buffer[] = [];
    line.on('data', (d: Buffer) => received.push(d));

    const good = buildRtuFrame(1, encodeReadRequest('holding', 0, 1));
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01;
    await line.write(Buffer.concat([bad, good]));
    await waitFor(() => Buffer.concat(received).length >= 7, { timeoutMs: 2_000, what: 'one reply' });
    const reply = Buffer.concat(received);
    expect([...reply]).toEqual([...buildRtuFrame(1, Buffer.from([0x03, 0x02, 0x03, 0xe8]))]);
    expect(server.requests).toBe(1);
    expect(device.handled).toHaveLength(1);
  });

  it('rejects invalid endpoints and devices with TypeErrors naming the value', () => {
    expect(() => new ModbusSlaveServer({ type: 'tcp', port: -1 })).toThrow(/-1/);
    expect(() => new ModbusSlaveServer({ type: 'rtu-serial', path: '/dev/null', baudRate: 0 })).toThrow(/baudRate.*0/);
    expect(() => new ModbusSlaveServer({ type: 'udp' as 'tcp', port: 1 })).toThrow(/udp/);
    const server = new ModbusSlaveServer({ type: 'tcp', port: 0 }, [new MemoryDevice(1)]);
    expect(() => server.addDevice(new MemoryDevice(1))).toThrow(/unit 1 is already hosted/);
    expect(() => server.addDevice(new MemoryDevice(248))).toThrow(/248/);
  });
});
