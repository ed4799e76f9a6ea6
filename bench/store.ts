// ReadingWriter throughput (journal, then packed blocks) against the previous release's floor:
// the same readings inserted into the old row layout with a bare prepared statement in
// 5,000-row transactions, in the same run, on the same disk.
// The ratio says what the queue, snapshotting and bookkeeping cost. Also: enqueue latency,
// which is what the polling/safety path pays per reading.
// Usage: npm run bench -- store [--rows 200000] [--rounds 3]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Reading } from '../core/readings.js';
import { openDatabase } from '../edge/store/database.js';
import { ReadingWriter, readingMigrations, READING_WRITER_DEFAULTS } from '../edge/store/reading-store.js';
import { type BenchContext, median, nowNs, percentiles, intArg, timeIt } from './harness.js';

const defaults = { rows: 200_000, rounds: 3, points: 64 };

export default async function storeBench(ctx: BenchContext): Promise<void> {
  const rows = intArg(ctx.args, '--rows', defaults.rows);
  const rounds = intArg(ctx.args, '--rounds', defaults.rounds);
  const readings = makeReadings(rows);
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-store-'));
  try {
    const writerRates: number[] = [];
    const segmentRates: number[] = [];
    const rawRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so neither side always runs on a warmer page cache.
      const first = round % 2 === 0 ? 'writer' : 'raw';
      for (const side of first === 'writer' ? ['writer', 'segments', 'raw'] : ['raw', 'segments', 'writer']) {
        // A directory per run: a segment store keeps its files in readings/ next to the database.
        mkdirSync(join(dir, `${side}-${round}`));
        const file = join(dir, `${side}-${round}`, 'minegate.db');
        const ms = side === 'raw' ? await timeRawInsert(file, readings) : await timeWriter(file, readings, side === 'segments' ? 'segments' : 'blocks');
        (side === 'writer' ? writerRates : side === 'segments' ? segmentRates : rawRates).push(Math.round(rows / (ms / 1000)));
      }
    }
    ctx.report({ figure: `ReadingWriter enqueue+flush, layout 'blocks', ${rows} rows (median of ${rounds})`, value: median(writerRates), unit: 'rows/s', baseline: median(rawRates) });
    ctx.report({ figure: `ReadingWriter enqueue+flush, layout 'segments', ${rows} rows (median of ${rounds})`, value: median(segmentRates), unit: 'rows/s', baseline: median(rawRates) });

    const [p50, p99] = enqueueLatencyNs(join(dir, 'latency.db'), readings);
    ctx.report({ figure: 'ReadingWriter.enqueue latency p50', value: p50!, unit: 'ns', baseline: null });
    ctx.report({ figure: 'ReadingWriter.enqueue latency p99', value: p99!, unit: 'ns', baseline: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeWriter(file: string, readings: Reading[], layout: 'blocks' | 'segments'): Promise<number> {
  const db = openDatabase(file, { store: readingMigrations });
  try {
    // Timer off and a queue large enough for the whole run: this measures the write path, not drops.
    const writer = new ReadingWriter(db, { flushIntervalMs: 3_600_000, maxQueued: Math.max(readings.length, 1), layout });
    const { ms } = await timeIt(() => {
      for (const r of readings) writer.enqueue(r);
      writer.flush();
    });
    const s = writer.stats();
    writer.close();
    if (s.written !== readings.length || s.dropped !== 0) throw new Error(`writer run invalid: ${JSON.stringify(s)}`);
    return ms;
  } finally {
    db.close();
  }
}

/** The floor: a bare prepared INSERT into the previous release's row layout (migration 1 only). */
async function timeRawInsert(file: string, readings: Reading[]): Promise<number> {
  const db = openDatabase(file, { store: [readingMigrations[0]!] });
  try {
    const insert = db.prepare('INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, ?, ?)');
    const insertMany = db.transaction((batch: Reading[]) => {
      for (const r of batch) insert.run(r.point, r.value, r.quality, r.wallTime, r.monoTime, JSON.stringify(r.raw));
    });
    const batchSize = READING_WRITER_DEFAULTS.maxBatch;
    const { ms } = await timeIt(() => {
      for (let i = 0; i < readings.length; i += batchSize) insertMany(readings.slice(i, i + batchSize));
    });
    const stored = db.prepare('SELECT count(*) FROM readings').pluck().get();
    if (stored !== readings.length) throw new Error(`raw run invalid: ${String(stored)} rows stored`);
    return ms;
  } finally {
    db.close();
  }
}

function enqueueLatencyNs(file: string, readings: Reading[]): number[] {
  const db = openDatabase(file, { store: readingMigrations });
  try {
    const writer = new ReadingWriter(db, { flushIntervalMs: 3_600_000, maxQueued: Math.max(readings.length, 1) });
    const samples = new Float64Array(readings.length);
    for (let i = 0; i < readings.length; i++) {
      const start = nowNs();
      writer.enqueue(readings[i]!);
      samples[i] = Number(nowNs() - start);
    }
    writer.close();
    return percentiles(Array.from(samples), [50, 99]);
  } finally {
    db.close();
  }
}

function makeReadings(n: number): Reading[] {
  const t0 = Date.now();
  const mono = performance.now();
  const out: Reading[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const point = i % defaults.points;
    out[i] = {
      point: `CH4-${String(point).padStart(3, '0')}`,
      value: (i % 500) / 100,
      unit: '%CH4',
      quality: i % 97 === 0 ? 'comm-fault' : 'good',
      wallTime: t0 + Math.floor(i / defaults.points) * 1000,
      monoTime: mono + Math.floor(i / defaults.points) * 1000,
      raw: [i & 0xffff, 0x0001],
    };
  }
  return out;
}

