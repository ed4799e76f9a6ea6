// A throwaway Mosquitto for benches: /usr/sbin/mosquitto on a free loopback port, no persistence,
// no log, stopped by the caller. (Tests have their own in tests/helpers; benches do not import tests.)
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

const MOSQUITTO = '/usr/sbin/mosquitto';

export async function startMosquitto(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: install mosquitto, or pass --broker mqtt://host:port`);
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => resolve(p));
    });
  });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nuser ${userInfo().username}\nlog_dest none\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('mosquitto did not start within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
