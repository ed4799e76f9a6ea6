// The simulator answers a function code it does not implement with exception 01 (illegal
// function) on every framing, as its README says and as a real slave does: a master probing with
// 07, 08, 2B, 11 or a vendor code must get an answer, not silence that looks like a dead board.
// Raw request bytes go through the simulator's real framing: over the in-memory link (RTU and
// MBAP) and over a real RTU-over-TCP socket.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLink, type MemoryConnection } from '../../protocols/links/memory-link.js';
import { encodeMbapFrame } from '../../protocols/modbus/mbap-framing.js';
import { buildRtuFrame } from '../../protocols/modbus/rtu-framing.js';
import { crc16Modbus } from '../../protocols/modbus/crc16.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { ProfileDevice } from '../../simulator/virtual-device.js';
import { waitFor } from '../helpers/wait-for.js';

/** Request PDUs of function codes minegate does not implement. */
const UNKNOWN: Record<string, number[]> = {
  '07 read exception status': [0x07],
  '08 diagnostics (return query data)': [0x08, 0x00, 0x00, 0x12, 0x34],
  '2B/0E read device identification': [0x2b, 0x0e, 0x01, 0x00],
  '11 report server id': [0x11],
  '41 vendor-defined': [0x41, 0x01, 0x02],
};

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function simulator(type: 'tcp' | 'rtu-over-tcp'): ModbusSlaveServer {
  const server = new ModbusSlaveServer({ type, port: 0 }, [new ProfileDevice('methane-sensor', { unit: 7 })]);
  stops.push(() => server.stop());
  return server;
}

async function memoryPeer(server: ModbusSlaveServer): Promise<{ link: MemoryLink; received: Buffer[] }> {
  const link = new MemoryLink('sim');
  link.peer.on('connection', (c: MemoryConnection) => server.serve(c));
  const received: Buffer[] = [];
  link.on('data', (chunk: Buffer) => received.push(chunk));
  await link.open();
  stops.push(() => link.close());
  return { link, received };
}

const rtuException = (unit: number, fn: number) => [...buildRtuFrame(unit, Buffer.from([fn | 0x80, 0x01]))];

describe('simulator: unknown function codes answer exception 01 on every framing', () => {
  for (const [name, pdu] of Object.entries(UNKNOWN)) {
    it(`RTU (in-memory line): ${name}`, async () => {
      const { link, received } = await memoryPeer(simulator('rtu-over-tcp'));
      await link.write(buildRtuFrame(7, Buffer.from(pdu)));
      await waitFor(() => received.length > 0, { what: 'a reply', timeoutMs: 2_000 });
      expect([...Buffer.concat(received)]).toEqual(rtuException(7, pdu[0]!));
    });

    it(`Modbus TCP (in-memory): ${name}`, async () => {
      const { link, received } = await memoryPeer(simulator('tcp'));
      await link.write(encodeMbapFrame(0x4242, 7, Buffer.from(pdu)));
      await waitFor(() => received.length > 0, { what: 'a reply', timeoutMs: 2_000 });
      expect([...Buffer.concat(received)]).toEqual([...encodeMbapFrame(0x4242, 7, Buffer.from([pdu[0]! | 0x80, 0x01]))]);
    });
  }

  it('RTU over a real TCP socket: each unknown request answered, also when it arrives in two pieces; then a normal read still answers', async () => {
    const server = simulator('rtu-over-tcp');
    const { port } = await server.start();
    const socket = net.connect({ host: '127.0.0.1', port: port! });
    stops.push(async () => void socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    // One transaction at a time, as a master does: the request is the last thing on the line.
    for (const split of [false, true]) {
      for (const pdu of Object.values(UNKNOWN)) {
        received.length = 0;
        const frame = buildRtuFrame(7, Buffer.from(pdu));
        if (split) {
          socket.write(frame.subarray(0, 2));
          socket.write(frame.subarray(2));
        } else {
          socket.write(frame);
        }
        await waitFor(() => Buffer.concat(received).length >= 5, { what: `the reply to function ${pdu[0]}${split ? ' (split)' : ''}`, timeoutMs: 2_000 });
        expect([...Buffer.concat(received)]).toEqual(rtuException(7, pdu[0]!));
      }
    }

    received.length = 0;
    socket.write(buildRtuFrame(7, Buffer.from([0x04, 0x00, 0x00, 0x00, 0x01])));
    await waitFor(() => Buffer.concat(received).length >= 7, { what: 'a read reply', timeoutMs: 2_000 });
    const reply = Buffer.concat(received);
    expect([...reply.subarray(0, 3)]).toEqual([7, 0x04, 0x02]);
    expect(crc16Modbus(reply, 0, 5)).toBe(reply.readUInt16LE(5));
  });

  it('a corrupted unknown request (bad CRC) stays unanswered, like any request with a bad CRC', async () => {
    const { link, received } = await memoryPeer(simulator('rtu-over-tcp'));
    const bad = buildRtuFrame(7, Buffer.from([0x11]));
    bad[bad.length - 1]! ^= 0xff;
    await link.write(bad);
    // Then a good one: its reply proves the bad one was seen and dropped, not still pending.
    await link.write(buildRtuFrame(7, Buffer.from([0x07])));
    await waitFor(() => received.length > 0, { what: 'a reply', timeoutMs: 2_000 });
    expect([...Buffer.concat(received)]).toEqual(rtuException(7, 0x07));
  });
});
