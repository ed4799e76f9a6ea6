// The control channel itself: the socket's life (mode 0660, removed on stop, a stale one replaced,
// a second gateway refused), the protocol's refusals, and the CLI's error when no gateway runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../edge/control/client.js';
import { ControlError } from '../../edge/control/errors.js';
import { assertNoGatewayRunning, ControlServer } from '../../edge/control/server.js';
import { createLogger } from '../../edge/log.js';
import type { ServerRequestEvent } from '../../simulator/modbus-server.js';
import { minegate } from '../ops/helpers/cli.js';
import { type ControlRig, startControlRig } from './rig.js';

let rig: ControlRig;
const clients: ControlClient[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  rig = await startControlRig();
});
afterAll(async () => {
  await rig.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(dataDir = rig.dataDir): ControlClient {
  const c = new ControlClient(dataDir, { timeoutMs: 5_000 });
  clients.push(c);
  return c;
}

function emptyDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mg-ctl-empty-'));
  dirs.push(d);
  return d;
}

/** One raw line in, one raw line out: what a client that is not ours would see. */
function rawExchange(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(path);
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) {
        s.destroy();
        resolve(got.trim());
      }
    });
    s.on('error', reject);
    s.on('connect', () => s.write(`${line}\n`));
  });
}

describe('control socket', () => {
  it('is <data-dir>/control.sock with mode 0660', () => {
    const st = statSync(join(rig.dataDir, 'control.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
  });

  it('answers JSON lines: a bad line, an unknown command and a write without credentials are refused with codes', async () => {
    const path = join(rig.dataDir, 'control.sock');
    expect(JSON.parse(await rawExchange(path, 'not json'))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await rawExchange(path, JSON.stringify({ id: 7, command: 'reboot', args: {} })))).toMatchObject({ id: 7, ok: false, error: { code: 'UNKNOWN_COMMAND' } });
    const status = JSON.parse(await rawExchange(path, JSON.stringify({ id: 'a', command: 'status', args: {} })));
    expect(status).toMatchObject({ id: 'a', ok: true, result: { substation: { code: 'F001' } } });
    await expect(client().request('cut', { zone: 'heading-3101', reason: 'x', durationMs: 60_000 })).rejects.toMatchObject({ code: 'AUTH_REQUIRED', remote: true });
  });

  it('refuses a second gateway on the same data dir, before it touches anything', async () => {
    await expect(assertNoGatewayRunning(rig.dataDir)).rejects.toMatchObject({ code: 'GATEWAY_RUNNING' });
    const second = new ControlServer(rig.gateway, { dataDir: rig.dataDir, logger: createLogger({}) });
    await expect(second.start()).rejects.toMatchObject({ code: 'GATEWAY_RUNNING' });
    // Settled, the running gateway never cuts the power coils; a second gateway would, at its start.
    await rig.settled();
    const powerCuts: unknown[] = [];
    const onRequest = (e: ServerRequestEvent): void => {
      const q = e.request;
      if (q && ((q.fn === 0x05 && q.address <= 1 && !q.value) || (q.fn === 0x0f && q.address <= 1))) powerCuts.push(q);
    };
    rig.server.on('request', onRequest);
    const r = await minegate(['run', '-c', rig.configFile, '-d', rig.dataDir, '--duration', '5']);
    rig.server.off('request', onRequest);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a gateway is already running on .*control socket .* answers/);
    expect(powerCuts).toEqual([]);
    // The first gateway still answers.
    expect(await client().request('status')).toMatchObject({ substation: { code: 'F001' } });
  });

  it('replaces a stale socket left by a crashed gateway, and removes its own on stop', async () => {
    const dataDir = emptyDir();
    const path = join(dataDir, 'control.sock');
    // A process that binds the socket and dies without cleaning up, like a SIGKILLed gateway.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((r) => child.on('close', r));
    expect(statSync(path).isSocket()).toBe(true);
    await expect(client(dataDir).request('status')).rejects.toMatchObject({ code: 'NO_GATEWAY', message: expect.stringMatching(/stale/) });
    const server = new ControlServer(rig.gateway, { dataDir, logger: createLogger({}) });
    await server.start();
    try {
      expect(await client(dataDir).request('status')).toMatchObject({ substation: { code: 'F001' } });
    } finally {
      await server.stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('the client times out on a gateway that accepts but never answers', async () => {
    const dataDir = emptyDir();
    // It reads every request and never answers.
    const mute = net.createServer((s) => s.resume());
    await new Promise<void>((r) => mute.listen(join(dataDir, 'control.sock'), r));
    try {
      const c = new ControlClient(dataDir, { timeoutMs: 300 });
      clients.push(c);
      const err = await c.request('status').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ControlError);
      expect(err).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/did not answer "status" within 300 ms/) });
    } finally {
      await new Promise((r) => mute.close(r));
    }
  });
});

describe('no gateway running', () => {
  it('every command says so clearly and exits 1', async () => {
    const dataDir = emptyDir();
    for (const args of [['status'], ['cut', 'heading-3101', '--user', 'zhang', '--reason', 'x', '--expires', '1h'], ['interlock', 'status'], ['relay', 'test', 'siren', '--user', 'zhang', '--reason', 'x']]) {
      const r = await minegate([...args, '-d', dataDir], { password: 'tech-pass-1' });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`no gateway is running on ${dataDir} (no control socket): start it with minegate run`);
      expect(r.stdout).toBe('');
    }
  });
});
