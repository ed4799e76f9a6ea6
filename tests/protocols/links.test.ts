import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkError } from '../../protocols/links/link.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { Cleanup } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function echoServer(): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(d));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }), null);
  return { server, port: (server.address() as net.AddressInfo).port, sockets };
}

describe('TcpLink', () => {
  it('carries bytes, emits close once when the peer hangs up, and opens again', async () => {
    const { port, sockets } = await echoServer();
    const link = new TcpLink({ host: '127.0.0.1', port, connectTimeoutMs: 1_000 });
    cleanup.add(() => link.close(), null);
    expect(link.description).toBe(`tcp 127.0.0.1:${port}`);
    await link.open();
    const echoed = once(link, 'data');
    await link.write(Buffer.from('hi'));
    expect(((await echoed)[0] as Buffer).toString()).toBe('hi');

    let closes = 0;
    link.on('close', () => closes++);
    const closed = once(link, 'close');
    for (const s of sockets) s.end();
    await closed;
    expect(link.isOpen).toBe(false);
    await expect(link.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'not-open' });
    await link.open();
    expect(link.isOpen).toBe(true);
    await link.close();
    expect(closes).toBe(2); // one for the hang-up, one for our own close
  });

  it('fails open() with a LinkError when nothing listens, without emitting close', async () => {
    const { server, port } = await echoServer();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const link = new TcpLink({ host: '127.0.0.1', port, connectTimeoutMs: 1_000 });
    let closes = 0;
    link.on('close', () => closes++);
    const err = await link.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect(err).toMatchObject({ code: 'open-failed' });
    expect(closes).toBe(0);
  });
});

describe('SerialLink', () => {
  it('describes itself, validates options, and refuses a missing device', async () => {
    expect(new SerialLink({ path: '/dev/ttyX', baudRate: 19200, parity: 'even' }).description).toBe('serial /dev/ttyX 19200 8E1');
    expect(() => new SerialLink({ path: '/dev/ttyX', baudRate: 9600, parity: 'mark' as 'none' })).toThrow(/mark/);
    expect(() => new SerialLink({ path: '', baudRate: 9600 })).toThrow(TypeError);
    expect(() => new SerialLink({ path: '/dev/ttyX', baudRate: 9600, dataBits: 9 as 8 })).toThrow(/9/);
    await expect(new SerialLink({ path: '/nonexistent/tty', baudRate: 9600 }).open()).rejects.toMatchObject({ code: 'open-failed' });
  });

  it('holds the port exclusively: a second opener is refused', async () => {
    const pair = await PtyPair.create();
    cleanup.add(() => pair.dispose(), null);
    const first = new SerialLink({ path: pair.masterPath, baudRate: 9600 });
    await first.open();
    cleanup.add(() => first.close(), null);
    await expect(new SerialLink({ path: pair.masterPath, baudRate: 9600 }).open()).rejects.toMatchObject({ code: 'open-failed' });
  });

  it('reports an unplug (PTY gone) as close with an error even when idle, and opens again after replug', async () => {
    const pair = await PtyPair.create();
    cleanup.add(() => pair.dispose(), null);
    // Only one side is open and idle. On this kernel a pending read on the second PTY of a socat pair is
    // not woken when socat dies (measured), so only the presence check can notice.
    const link = new SerialLink({ path: pair.slavePath, baudRate: 9600, presenceCheckMs: 50 });
    await link.open();
    cleanup.add(() => link.close(), null);
    const closed = once(link, 'close');
    await pair.kill();
    const [err] = (await closed) as [Error | undefined];
    expect(err).toBeInstanceOf(Error);
    expect(link.isOpen).toBe(false);
    await pair.recreate();
    await link.open();
    expect(link.isOpen).toBe(true);
  });
});
