// A real Mosquitto for the sync tests: temp config (loopback listener, anonymous, persistence in a
// temp dir, unlimited queue for offline persistent clients), spawned with -c, and stop / kill /
// start / restart helpers that keep port and persistence. If mosquitto is not installed the tests
// FAIL with a clear message: CI must install it (.ci/run does), never skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Mosquitto {
  port: number;
  url: string;
  /** Graceful stop (SIGTERM): mosquitto saves its persistence file. */
  stop(): Promise<void>;
  /** SIGKILL: no save. */
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the broker and deletes its temp dir. */
  close(): Promise<void>;
  running(): boolean;
  log(): string;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface MosquittoOptions {
  /** A TLS listener that requires client certificates signed by `ca` (url becomes mqtts://). */
  tls?: { ca: string; cert: string; key: string };
  /** false: a restart forgets every session, subscription and queued message (a broker without persistence). Default true. */
  persistence?: boolean;
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(`${MOSQUITTO} not found: install mosquitto (apt-get install mosquitto); the sync tests need a real broker`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'minegate-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      ...(opts.tls ? [`cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`, 'require_certificate true'] : []),
      'allow_anonymous true',
      ...(opts.persistence === false ? ['persistence false'] : ['persistence true', `persistence_location ${dir}/`]),
      // 0 = unlimited: the default 1000 silently drops messages for an offline persistent client.
      'max_queued_messages 0',
      // Started as root, mosquitto drops to user "mosquitto", which cannot write our temp dir: stay who we are.
      `user ${userInfo().username}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let output = '';

  const waitExit = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((resolve) => c.once('exit', () => resolve()));

  const start = async (): Promise<void> => {
    if (child) return;
    const c = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) {
        child = null;
        throw new Error(`mosquitto exited with ${c.exitCode} on start: ${output}`);
      }
      if (await accepts(port)) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not accept on port ${port} within 10 s: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c) return;
    child = null;
    c.kill(sig);
    await waitExit(c);
  };

  await start();
  return {
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    restart: async () => {
      await signal('SIGTERM');
      await start();
    },
    close: async () => {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    running: () => child !== null,
    log: () => output,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
