// A gateway killed with SIGKILL (OOM killer, watchdog, power switch on the process) must lose no
// batch it reported as written and must leave a file that opens and passes integrity_check.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { countReadings, iterateReadings } from '../../edge/store/reading-reader.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';

const child = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
const BATCH = 500;
let dir: string;
let running: ChildProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-crash-'));
});
afterEach(() => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Run the writer child, SIGKILL it once it has acknowledged `killAfterAcks` batches; returns the last acknowledged value. */
async function runAndKill(file: string, killAfterAcks: number): Promise<number> {
  const proc = spawn(process.execPath, [child, file, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
  running = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let acks = 0;
  let lastAck = 0;
  const lines = createInterface({ input: proc.stdout! });
  lines.on('line', (line) => {
    const m = /^ack (\d+)$/.exec(line);
    if (!m) return;
    lastAck = Number(m[1]);
    if (++acks === killAfterAcks) proc.kill('SIGKILL');
  });
  // 'close' comes after the exit and after every line already in the pipe has been read.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('close', (c, s) => resolve([c, s])));
  expect(signal, `writer child ended by itself (code ${code}): ${stderr}`).toBe('SIGKILL');
  return lastAck;
}

it('SIGKILL mid-stream loses no acknowledged batch and leaves an intact database, round after round', async () => {
  const file = join(dir, 'minegate.db');
  let acknowledged = 0;
  for (const killAfterAcks of [7, 23, 3, 41]) {
    const lastAck = await runAndKill(file, killAfterAcks);
    expect(lastAck).toBeGreaterThan(acknowledged);
    acknowledged = lastAck;

    // Reopening after the crash is the same call the gateway makes at start-up (quick_check included).
    const db = openDatabase(file, { store: readingMigrations });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // Read as the CLI does, through the reader API: packed blocks plus the open-block journal.
      const values = [...iterateReadings(db)].map((r) => r.value!);
      const n = values.length;
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const uniq = new Set(values).size;
      expect(countReadings(db)).toBe(n);
      expect(hi).toBeGreaterThanOrEqual(acknowledged); // every acknowledged batch is there...
      expect([lo, uniq]).toEqual([1, n]); // ...with no gap and no duplicate...
      expect(hi).toBe(n);
      expect(n % BATCH).toBe(0); // ...and no half-written batch
    } finally {
      db.close();
    }
  }
  // The next start packs the recovered journal into blocks at close, and the count still holds.
  const db = openDatabase(file, { store: readingMigrations });
  try {
    const before = countReadings(db);
    const packed = (): number => db.prepare('SELECT coalesce(sum(count), 0) FROM reading_blocks').pluck().get() as number;
    const packedBefore = packed(); // a kill after a block span boundary leaves that span packed
    const writer = new ReadingWriter(db, { flushIntervalMs: 3_600_000 });
    expect(writer.stats().open).toBe(before - packedBefore); // recovered from the journal, not lost
    writer.close();
    expect(writer.stats().open).toBe(0);
    expect(packed()).toBe(before);
    expect(countReadings(db)).toBe(before);
  } finally {
    db.close();
  }
});
