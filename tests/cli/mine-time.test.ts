// One time rule (issue 14, item 8): every time the CLI shows is mine time with its zone (+08:00),
// and every time it parses is mine time unless the text names a zone, whatever the host's TZ (the
// box usually runs on UTC). Before, `export --from 2026-01-10T08:00` was read as host time while
// the CSV showed mine time: on a UTC box it returned nothing for the hour the technician saw.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWall, parseSince } from '../../edge/control/durations.js';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { SafetyStore, safetyMigrations } from '../../edge/safety/store.js';
import { tempDir } from '../sync/helpers/fixtures.js';
import { minegate } from '../ops/helpers/cli.js';

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0); // 2026-01-10 08:00:00 mine time
let t: ReturnType<typeof tempDir>;

beforeAll(() => {
  t = tempDir('mg-mine-time-');
  const db = openDatabase(path.join(t.dir, 'minegate.db'), { store: readingMigrations, safety: safetyMigrations });
  const writer = new ReadingWriter(db);
  for (let i = 0; i < 5; i++) writer.enqueue({ point: 'T1', value: 0.3, unit: '%CH4', quality: 'good', wallTime: T0 + i * 1000, monoTime: i * 1000, raw: [] });
  writer.close();
  new SafetyStore(db).write({ events: [{ seq: 1, type: 'alarm-on', wallTime: T0, monoTime: 0, point: 'T1', message: 'T1 over the alarm point' }] });
  db.close();
});
afterAll(() => t.cleanup());

describe('one time rule: mine time with its zone, whatever TZ the host has', () => {
  it('formatWall prints mine time and +08:00; parseSince reads a zone-less date as mine time and honours a given zone', () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Shanghai']) {
        process.env.TZ = tz;
        expect(formatWall(T0)).toBe('2026-01-10 08:00:00+08:00');
        expect(parseSince('2026-01-10T08:00', 0)).toBe(T0);
        expect(parseSince('2026-01-10 08:00:00', 0)).toBe(T0);
        expect(parseSince('2026-01-10', 0)).toBe(T0 - 8 * 3_600_000);
        expect(parseSince('2026-01-10T00:00Z', 0)).toBe(T0);
        expect(parseSince('2026-01-10T09:00+09:00', 0)).toBe(T0);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    expect(() => parseSince('2026-02-30T08:00', 0)).toThrow(/mine time/);
  });

  it('on a UTC box, export --from/--to as the CSV shows the times returns those readings; a zone may be given instead', async () => {
    const env = { TZ: 'UTC' };
    const mine = await minegate(['export', '--from', '2026-01-10T08:00:01', '--to', '2026-01-10 08:00:03', '-d', t.dir], { env });
    expect(mine.code).toBe(0);
    // The CSV's time column carries its zone (issue 14's one time rule), in mine time on a UTC box.
    const shown = mine.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
    expect(shown).toEqual(['2026-01-10 08:00:01+08:00', '2026-01-10 08:00:02+08:00']);
    // A time copied from the CSV works as --from as it is.
    const copied = await minegate(['export', '--from', shown[1]!, '--to', '2026-01-10 08:00:03', '-d', t.dir], { env });
    expect(copied.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(['2026-01-10 08:00:02+08:00']);
    const zoned = await minegate(['export', '--from', '2026-01-10T00:00:01Z', '--to', '2026-01-10T08:00:03+08:00', '-d', t.dir], { env });
    expect(zoned.stdout).toBe(mine.stdout);
  });

  it('events on a New York box print mine time with +08:00', async () => {
    const r = await minegate(['events', '-d', t.dir], { env: { TZ: 'America/New_York' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2026-01-10 08:00:00+08:00');
  });
});
