// `minegate replay` as a technician runs it (the built CLI): a recording from a CSV file or from a
// gateway database goes through the config's rules; the timeline is printed and nothing is written.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { runCli } from '../cli/run-cli.js';
import { writeOnePointHeadingConfig } from '../helpers/one-point-heading.js';

const dir = mkdtempSync(join(tmpdir(), 'minegate-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = writeOnePointHeadingConfig(dir, 'replay');

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);
/** One T1 reading a second: clean air, an alarm, a cut-off, a hold, then below restore. */
const VALUES = [0.3, 0.3, 0.3, 1.2, 1.2, 1.6, 1.6, 1.2, 1.2, 0.8, 0.8, 0.8];

function csv(rows: string[]): string {
  const file = join(dir, `rec-${rows.length}-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, rows.join('\n'));
  return file;
}

describe('minegate replay', () => {
  it('prints the alarm / cut / release timeline of a CSV recording', async () => {
    const file = csv(['time,point,value,quality', ...VALUES.map((v, i) => `${new Date(T0 + i * 1000).toISOString()},T1,${v},good`), `${new Date(T0 + 12_000).toISOString()},X9,1.0,good`]);
    const r = await runCli(['replay', '-c', CONFIG, '--from', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('13 readings');
    expect(r.stdout).toContain('outputs not touched');
    expect(r.stdout).toContain('ignored (not in the config): X9');
    const events = r.stdout
      .split('\n')
      .map((l) => / (alarm-on|alarm-off|cut|release|power-off|power-on) /.exec(l)?.[1])
      .filter(Boolean);
    expect(events).toEqual(['alarm-on', 'cut', 'power-off', 'alarm-off', 'release', 'power-on']);
    expect(r.stdout).toMatch(/cut\s+over-limit\s+T1\s+1\.6\s+heading-power/);
    expect(r.stdout).toContain('at the end: no hold');

    const json = await runCli(['replay', '-c', CONFIG, '--from', file, '--json']);
    const result = JSON.parse(json.stdout) as { timeline: { type: string; offsetMs: number }[]; readings: number };
    expect(result.readings).toBe(13);
    expect(result.timeline.find((e) => e.type === 'cut')!.offsetMs).toBe(5000);
  });

  it('replays the readings table of a gateway database, read-only', async () => {
    const dbFile = join(dir, 'minegate.db');
    const db = openDatabase(dbFile, { store: readingMigrations });
    const writer = new ReadingWriter(db);
    VALUES.forEach((value, i) => writer.enqueue({ point: 'T1', value, unit: '%CH4', quality: 'good', wallTime: T0 + i * 1000, monoTime: i * 1000, raw: [] }));
    writer.close();
    db.close();
    const before = createHash('sha256').update(readFileSync(dbFile)).digest('hex');
    const r = await runCli(['replay', '-c', CONFIG, '--from', dbFile, '--since', new Date(T0 + 4000).toISOString()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 readings');
    expect(r.stdout).toMatch(/cut\s+over-limit\s+T1/);
    expect(createHash('sha256').update(readFileSync(dbFile)).digest('hex')).toBe(before);
  });

  it('refuses a malformed line or readings out of time order, naming where', async () => {
    const bad = csv(['time,point,value', `${T0},T1,0.3`, `${T0 + 1000},T1,lots`]);
    const r = await runCli(['replay', '-c', CONFIG, '--from', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3: value "lots" is not a number`);

    const unordered = csv(['time,point,value', `${T0 + 1000},T1,0.3`, `${T0},T1,0.3`]);
    const u = await runCli(['replay', '-c', CONFIG, '--from', unordered]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/older than the one before it/);

    const header = csv(['when,point,value', `${T0},T1,0.3`]);
    expect((await runCli(['replay', '-c', CONFIG, '--from', header])).stderr).toMatch(/missing time/);
    const usage = await runCli(['replay', '-c', CONFIG, '--from', bad, '--since', 'yesterday-ish']);
    expect(usage.code).toBe(2);
  });
});
