// Retention per class (AQ 6201-2019: real-time values ≥ 7 days; statistics, alarms, cut-offs,
// feed abnormalities ≥ 1 year), each with a byte cap, on a real SQLite file: what goes, what
// stays, when the cap cuts into the legal minimum, and the config keys that set it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../edge/config/load-config.js';
import type { FiveMinuteWindow } from '../../edge/five-minute-stats.js';
import { closeLogger, createLogger, type Logger } from '../../edge/log.js';
import { safetyMigrations } from '../../edge/safety/store.js';
import { PointIds } from '../../edge/store/block-store.js';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { ClassRetention, describeClassCapacity, gatewayRecordTables, storeRetention, STORE_RETENTION_DEFAULTS } from '../../edge/store/retention-classes.js';
import { storeWindows } from '../../edge/store/statistics-store.js';
import { validConfig } from '../config/fixtures.js';
import { waitFor } from '../helpers/wait-for.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 4, 0, 0);
let dir: string;
let db: Database.Database;
const loggers: Logger[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-retention-'));
  db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations, safety: safetyMigrations });
});
afterEach(async () => {
  db.close();
  for (const l of loggers.splice(0)) await closeLogger(l);
  rmSync(dir, { recursive: true, force: true });
});

function window(point: string, start: number): FiveMinuteWindow {
  const byQuality = { good: 300, calibrating: 0, 'over-range': 0, stale: 0, 'sensor-fault': 0, 'comm-fault': 0 };
  return { point, start, end: start + 300_000, max: 0.5, maxTime: start + 10, min: 0.3, minTime: start + 20, average: 0.4, samples: 300, excluded: 0, byQuality, late: 0, firstTime: start, lastTime: start + 299_000 };
}

/** Ten windows a day for two points, for the `days` days before NOW. */
function fillStatistics(days: number): void {
  const ids = new PointIds(db);
  const ws: FiveMinuteWindow[] = [];
  for (let d = 0; d < days; d++) for (let k = 0; k < 10; k++) for (const p of ['CH4-01', 'CO-01']) ws.push(window(p, NOW - (d + 1) * DAY + k * 300_000));
  ids.register(['CH4-01', 'CO-01']);
  db.transaction(() => storeWindows(db, ids, ws))();
}

/** One safety event a day (an alarm, a cut-off…) for the `days` days before NOW. */
function fillSafetyEvents(days: number): void {
  const add = db.prepare("INSERT INTO safety_events (seq, wall_time, mono_time, type, message) VALUES (?, ?, 0, 'alarm-on', 'CH4-01 over 1.0 %CH4')");
  db.transaction(() => {
    for (let d = 0; d < days; d++) add.run(d, NOW - (d + 1) * DAY + 1000);
  })();
}

const oldestDaysAgo = (table: string, column: string): number => (NOW - (db.prepare(`SELECT min(${column}) FROM ${table}`).pluck().get() as number)) / DAY;
const rows = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('retention of the statistics and records classes', () => {
  it('deletes by age only what is older than the configured days; a year is kept', () => {
    fillStatistics(500);
    fillSafetyEvents(500);
    const runs = new ClassRetention(db, STORE_RETENTION_DEFAULTS, gatewayRecordTables).run(NOW);
    expect(runs.map((r) => [r.name, r.deleted, r.cutIntoMinimum])).toEqual([
      ['statistics', 100 * 20, false],
      ['records', 100, false],
    ]);
    expect(rows('reading_statistics')).toBe(400 * 20);
    expect(oldestDaysAgo('reading_statistics', 'window_start')).toBeLessThanOrEqual(400);
    expect(oldestDaysAgo('safety_events', 'wall_time')).toBeLessThanOrEqual(400);
    expect(oldestDaysAgo('safety_events', 'wall_time')).toBeGreaterThan(399);
    // A second run has nothing to do.
    expect(new ClassRetention(db, STORE_RETENTION_DEFAULTS, gatewayRecordTables).run(NOW).map((r) => r.deleted)).toEqual([0, 0]);
  });

  it('the byte cap deletes the oldest first and says when it cut into the legal year', () => {
    fillStatistics(400);
    const full = new ClassRetention(db, STORE_RETENTION_DEFAULTS, gatewayRecordTables).capacity(NOW)[0]!;
    expect(full.bytes).toBeGreaterThan(0);
    // A cap of half the present size: the oldest days go, and with them part of the legal year.
    const limits = { ...STORE_RETENTION_DEFAULTS, statistics: { days: 400, maxBytes: full.bytes / 2 } };
    const [stats] = new ClassRetention(db, limits, gatewayRecordTables).run(NOW);
    expect(stats!.bytes).toBeLessThanOrEqual(full.bytes / 2);
    expect(stats!.cutIntoMinimum).toBe(true);
    expect(oldestDaysAgo('reading_statistics', 'window_start')).toBeLessThan(365);
    // The newest day is always what stays.
    expect(db.prepare('SELECT max(window_start) FROM reading_statistics').pluck().get()).toBe(NOW - DAY + 9 * 300_000);
    expect(describeClassCapacity(stats!)).toMatch(/^statistics: [\d.]+ MB, [\d.]+ MB a day, kept 400 days \(legal minimum 365\); cap/);
  });

  it('a cap that holds the year deletes nothing young', () => {
    fillSafetyEvents(380);
    const limits = { ...STORE_RETENTION_DEFAULTS, records: { days: 400, maxBytes: 1024 ** 3 } };
    const [, records] = new ClassRetention(db, limits, gatewayRecordTables).run(NOW);
    expect(records!.deleted).toBe(0);
    expect(rows('safety_events')).toBe(380);
    expect(records!.daysStored).toBeGreaterThan(378);
  });

  it('the reading writer runs it in its background turns, with the limits it was given', async () => {
    fillStatistics(500);
    const log = createLogger({ level: 'silent' });
    loggers.push(log);
    const w = new ReadingWriter(db, { flushIntervalMs: 20, logger: log, clock: { wall: () => NOW, mono: () => performance.now() }, retention: storeRetention({
      readings: { days: 8, maxMB: 1536 }, statistics: { days: 450, maxMB: 384 }, records: { days: 400, maxMB: 128 },
    }) });
    w.enqueue({ point: 'CH4-01', value: 0.4, unit: '%CH4', quality: 'good', wallTime: NOW, monoTime: 0, raw: [] });
    const classes = await waitFor(() => w.stats().classes, { what: 'a class retention run' });
    w.close();
    expect(classes.find((c) => c.name === 'statistics')!.deleted).toBe(50 * 20);
    // The reading enqueued above adds its own window at NOW when the writer closes.
    expect(db.prepare('SELECT count(*) FROM reading_statistics WHERE window_start < ?').pluck().get(NOW)).toBe(450 * 20);
  });
});

describe('store.retention in the board config', () => {
  const withStore = (yaml: string): string => `${validConfig.trimEnd()}\nstore:\n${yaml}`;

  it('defaults every class when the section is absent', () => {
    const { config } = parseConfigText(validConfig, '/site/f.yaml');
    expect(config.store.retention).toEqual({ readings: { days: 8, maxMB: 1536 }, statistics: { days: 400, maxMB: 384 }, records: { days: 400, maxMB: 128 } });
    expect(storeRetention(config.store.retention)).toEqual(STORE_RETENTION_DEFAULTS);
  });

  it('refuses days below the legal minimum, naming the key and the rule', () => {
    let err: unknown;
    try {
      parseConfigText(withStore('  retention:\n    statistics:\n      days: 90\n    readings:\n      days: 3\n'), '/site/f.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as Error).message;
    expect(text).toMatch(/store\.retention\.statistics\.days: .*at least 365 days: the legal minimum for statistics \(AQ 6201-2019\)/);
    expect(text).toMatch(/store\.retention\.readings\.days: .*at least 7 days/);
  });
});
