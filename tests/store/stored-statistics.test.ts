import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FiveMinuteStats } from '../../edge/five-minute-stats.js';
import type { Reading } from '../../core/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { storedFiveMinuteWindows } from '../../edge/store/stored-statistics.js';

it('five-minute statistics from the store equal the live ones, across packed blocks and the open journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minegate-stats-'));
  const db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
  try {
    const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);
    const end = T0 + 50 * 60_000;
    // The clock sits at the last reading: the first 30-minute span is packed, the rest stays open.
    const writer = new ReadingWriter(db, { flushIntervalMs: 3_600_000, layout: 'blocks', clock: { wall: () => end, mono: () => 0 } });
    const live = new FiveMinuteStats();
    const liveWindows = [];
    for (let s = 0; s < 50 * 60; s++) {
      for (const [point, value] of [['T1', Math.round((0.35 + Math.sin(s / 40) * 0.3) * 100) / 100], ['CO', s % 301 === 0 ? null : (s * 7) % 23]] as const) {
        const r: Reading = { point, value, unit: '', quality: value === null ? 'comm-fault' : 'good', wallTime: T0 + s * 1000 + (s % 3), monoTime: s * 1000, raw: [] };
        writer.enqueue(r);
        liveWindows.push(...live.add(r));
      }
      if (s % 100 === 0) writer.flush();
    }
    writer.flush();
    liveWindows.push(...live.closeUpTo(end));
    expect(writer.stats().open).toBeGreaterThan(0); // some readings are still in the journal
    expect(db.prepare('SELECT count(*) FROM reading_blocks').pluck().get()).toBeGreaterThan(0); // and some packed
    const stored = storedFiveMinuteWindows(db, { fromMs: T0, toMs: end });
    const key = (w: { point: string; start: number }): string => `${w.start} ${w.point}`;
    expect(stored.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(liveWindows.sort((a, b) => key(a).localeCompare(key(b))));
    expect(stored).toHaveLength(2 * 10);
    writer.close();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
