// The IoTize Tap driver (@iotize/tap over IoTize's socket framing on TCP, our length-prefixed one
// on serial) against the fake Tap built from the library's own APDU codecs: reads and writes over
// TCP and over a socat PTY, refusals by status, a hung Tap, a dropped link, a reply split across TCP
// segments, and a late reply that must not answer the next request.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IotizeTapBoard, TapBoardError } from '../../drivers/iotize-tap.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { FakeTap } from '../../simulator/fake-tap.js';
import { PtyPair } from '../../simulator/pty-pair.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcpTap(opts: ConstructorParameters<typeof FakeTap>[1] = {}, transport: { sendTimeoutMs?: number } = {}): Promise<{ fake: FakeTap; board: IotizeTapBoard }> {
  const fake = new FakeTap({ type: 'tcp', port: 0 }, opts);
  const { port } = await fake.start();
  cleanups.push(() => fake.stop());
  const board = new IotizeTapBoard({ link: new TcpLink({ host: '127.0.0.1', port: port!, connectTimeoutMs: 1000 }), ...transport });
  cleanups.push(() => board.close());
  await board.connect();
  return { fake, board };
}

async function errorOf(p: Promise<unknown>): Promise<TapBoardError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TapBoardError);
    return err as TapBoardError;
  }
  throw new Error('expected a TapBoardError');
}

describe('IotizeTapBoard over TCP', () => {
  it('reads and writes variables with the library’s own requests (GET /1029/id/4, POST /1029/id/5)', async () => {
    const { fake, board } = await tcpTap({ variables: { 3: new Uint8Array([0x41, 0x20, 0x00, 0x00]), 4: new Uint8Array([0, 10]) } });
    expect(await board.readVariable(3)).toEqual(new Uint8Array([0x41, 0x20, 0x00, 0x00]));
    await board.writeVariable(4, new Uint8Array([0x01, 0xf4]));
    expect(fake.getVariable(4)).toEqual(new Uint8Array([0x01, 0xf4]));
    expect(await board.readVariable(4)).toEqual(new Uint8Array([0x01, 0xf4]));
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /1029/3/4', 'POST /1029/4/5', 'GET /1029/4/4']);
  });

  it('does not lose a reply that arrives before the library starts reading', async () => {
    const { board } = await tcpTap({ variables: { 1: new Uint8Array([7]) }, replyDelayMs: 0 });
    for (let i = 0; i < 50; i++) expect(await board.readVariable(1)).toEqual(new Uint8Array([7]));
  });

  it('turns a refusal into a typed error with the Tap status', async () => {
    const { board } = await tcpTap({ variables: { 5: new Uint8Array([1]) }, readOnly: [5] });
    const missing = await errorOf(board.readVariable(99));
    expect(missing.code).toBe('status');
    expect(missing.status).toBe(0x84);
    expect(missing.message).toMatch(/read variable 99 refused: status 0x84/);
    const readOnly = await errorOf(board.writeVariable(5, new Uint8Array([2])));
    expect(readOnly).toMatchObject({ code: 'status', status: 0x85 });
    const bad = await errorOf(board.readVariable(70_000));
    expect(bad.code).toBe('invalid-argument');
  });

  it('a hung Tap times out; its late reply does not answer the next request', async () => {
    // Reply 1 comes at ~400 ms, after the 300 ms timeout; reply 2 would come 200 ms after its
    // request, so without settling the late 0x11 lands first and is taken as variable 2's value.
    const { fake, board } = await tcpTap({ variables: { 1: new Uint8Array([0x11]), 2: new Uint8Array([0x22]) }, replyDelayMs: 400 }, { sendTimeoutMs: 300 });
    const started = Date.now();
    const timeout = await errorOf(board.readVariable(1));
    expect(timeout.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    fake.setReplyDelay(200);
    expect(await board.readVariable(2)).toEqual(new Uint8Array([0x22]));
  });

  it('a dropped link fails the next call at once, typed', async () => {
    const { fake, board } = await tcpTap({ variables: { 1: new Uint8Array([1]) } });
    await fake.stop();
    const started = Date.now();
    const err = await errorOf(board.readVariable(1));
    expect(['link', 'not-connected']).toContain(err.code);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('a call before connect() is refused', async () => {
    const board = new IotizeTapBoard({ link: new TcpLink({ host: '127.0.0.1', port: 9, connectTimeoutMs: 200 }) });
    expect((await errorOf(board.readVariable(1))).code).toBe('not-connected');
    expect((await errorOf(board.connect())).code).toMatch(/link|timeout/);
  });
});

describe('IotizeTapBoard on IoTize socket framing (TCP, as a Wi-Fi TapNLink on port 2000)', () => {
  it('puts the bare APDU on the wire (CLA INS P1 P2 Lc + data, no envelope) and reassembles a reply split across TCP segments', async () => {
    const fake = new FakeTap({ type: 'tcp', port: 0 }, { variables: { 3: new Uint8Array([0x00, 0x00, 0x01, 0x90]) } });
    const { port: tapPort } = await fake.start();
    cleanups.push(() => fake.stop());
    // A proxy between board and Tap that records requests and delivers each reply in two segments 10 ms apart.
    const requests: Buffer[] = [];
    const proxy = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: tapPort! });
      client.on('data', (b: Buffer) => {
        requests.push(Buffer.from(b));
        upstream.write(b);
      });
      upstream.on('data', (reply: Buffer) => {
        client.write(reply.subarray(0, 2));
        setTimeout(() => client.write(reply.subarray(2)), 10);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const board = new IotizeTapBoard({ link: new TcpLink({ host: '127.0.0.1', port: (proxy.address() as net.AddressInfo).port, connectTimeoutMs: 1000 }) });
    cleanups.push(() => board.close());
    await board.connect();
    expect(await board.readVariable(3)).toEqual(new Uint8Array([0x00, 0x00, 0x01, 0x90]));
    const request = Buffer.concat(requests);
    // GET /1029/3/4 as the library encodes it: a 5-byte APDU header whose Lc counts the rest.
    expect(request.length).toBe(5 + request[4]!);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /1029/3/4']);
  });
});

describe('IotizeTapBoard over a serial line (socat PTY, minegate length-prefixed framing)', () => {
  it('reads and writes through the same framing on a serial port', async () => {
    const pty = await PtyPair.create();
    cleanups.push(() => pty.dispose());
    const fake = new FakeTap({ type: 'serial', path: pty.slavePath }, { variables: { 8: new Uint8Array([0xab, 0xcd]) } });
    await fake.start();
    cleanups.push(() => fake.stop());
    const board = new IotizeTapBoard({ link: new SerialLink({ path: pty.masterPath, baudRate: 115200 }), framing: 'length-prefixed' });
    cleanups.push(() => board.close());
    await board.connect();
    expect(await board.readVariable(8)).toEqual(new Uint8Array([0xab, 0xcd]));
    await board.writeVariable(8, new Uint8Array([0x12, 0x34]));
    expect(fake.getVariable(8)).toEqual(new Uint8Array([0x12, 0x34]));
  });
});
