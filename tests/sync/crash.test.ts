// SIGKILL while writing and draining, 20 times at random moments, then a clean run: the platform
// must end up with every committed sequence number exactly once (after dedupe) and no gap, and a
// restart must re-send only the few batches that were in flight (peer #15), not the backlog.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Receiver } from '../../sync/receiver.js';
import { built } from '../helpers/built.js';
import { tempDir } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { keys, startReceiver, streamKey } from './helpers/pipeline.js';

let broker: Mosquitto;
let receiver: Receiver | undefined;
let tmp: ReturnType<typeof tempDir>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  broker = await startMosquitto();
  tmp = tempDir();
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
});
afterAll(async () => {
  await receiver?.stop();
  await broker?.close();
  tmp?.cleanup();
});

interface Run {
  child: ChildProcess;
  events: Record<string, unknown>[];
  exited: Promise<number | null>;
  waitEvent(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function runSoak(args: string[]): Run {
  const child = spawn(process.execPath, [built('sync/soak.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      for (const w of waiters.splice(0)) w();
      resolve(code);
    }),
  );
  return {
    child,
    events,
    exited,
    waitEvent: (pred, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`soak child: timed out waiting for an event; stderr: ${stderr}`)), timeoutMs);
        const check = (): void => {
          const hit = events.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`soak child exited (${child.exitCode ?? child.signalCode}) before the event; stderr: ${stderr}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}

it('SIGKILL at 20 random points during write and drain loses no committed record and leaves no gap', { timeout: 120_000 }, async () => {
  receiver = await startReceiver(broker.url);
  const keyFile = join(tmp.dir, 'substation.key.pem');
  writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const dbFile = join(tmp.dir, 'outbox.db');
  const common = ['--db', dbFile, '--broker', broker.url, '--key', keyFile];

  let duplicatesAfterRestarts = 0;
  for (let k = 0; k < 20; k++) {
    const dupsBefore = receiver.stats().duplicates;
    const run = runSoak([...common, '--rate', '5000', '--count', '1000000']);
    // Kill somewhere between "just started writing" and "well into draining".
    await run.waitEvent((e) => e.event === 'committed');
    const delayMs = 20 + Math.floor(Math.random() * 300);
    await new Promise((r) => setTimeout(r, delayMs));
    run.child.kill('SIGKILL');
    await run.exited;
    // Duplicates seen during this run are re-sends of what the previous kill left unacked.
    duplicatesAfterRestarts = Math.max(duplicatesAfterRestarts, receiver.stats().duplicates - dupsBefore);
  }

  // A clean run drains what the killed runs left behind.
  const final = runSoak([...common, '--count', '0']);
  await final.waitEvent((e) => e.event === 'drained', 60_000);
  expect(await final.exited).toBe(0);

  const db = new Database(dbFile, { readonly: true });
  const committed = Object.fromEntries(
    (db.prepare('SELECT stream, next_seq - 1 AS last FROM sync_streams').all() as { stream: string; last: number }[]).map((r) => [r.stream, r.last]),
  );
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
  expect(committed['cdss']).toBeGreaterThan(1000);

  for (const stream of ['cdss', 'ycbj']) {
    const last = committed[stream]!;
    await expect
      .poll(() => receiver!.received(streamKey(stream)), { timeout: 20_000, interval: 50 })
      .toEqual([[1, last]]);
    expect(receiver.recordCount(streamKey(stream))).toBe(last); // exactly once after dedupe
  }
  expect(receiver.gaps()).toEqual([]);
  expect(receiver.stats().failures).toBe(0);
  // Re-sends after a kill are at most the in-flight window (8 batches), never the backlog.
  expect(duplicatesAfterRestarts).toBeLessThanOrEqual(8 * 2);
});
