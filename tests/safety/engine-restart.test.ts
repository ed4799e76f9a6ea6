import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { SafetyJournal } from '../../edge/safety/events.js';
import { SafetyStore, safetyMigrations } from '../../edge/safety/store.js';
import { headingConfig, Rig } from './rig.js';

describe('restart safety', () => {
  let dir: string;
  let db: Database.Database | undefined;
  let journal: SafetyJournal | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'minegate-safety-'));
  });
  afterEach(async () => {
    await journal?.close();
    journal = undefined;
    db?.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** One gateway "process": its own database connection, journal and engine. */
  function boot(wallOffset: number): { rig: Rig; store: SafetyStore } {
    journal?.close();
    db?.close();
    db = openDatabase(join(dir, 'minegate.db'), { safety: safetyMigrations });
    const store = new SafetyStore(db);
    journal = new SafetyJournal(store);
    const rig = new Rig(headingConfig(), { journal });
    rig.wallOffset = wallOffset;
    return { rig, store };
  }

  it('cuts every power output at start until each governing point has been read fresh', () => {
    const rig = new Rig();
    rig.missing('CH4-T1');
    rig.evaluate();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.energized('fan-power')).toBe(false);
    expect(rig.decision('heading-power').holds).toEqual(['startup:restart']);
    // Governs nothing: nothing to wait for.
    expect(rig.energized('upstream-power')).toBe(true);
    rig.set({ 'CH4-T1': 0.2 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.eventsOf('power-on').flatMap((e) => e.outputs)).toEqual(['upstream-power', 'heading-power', 'fan-power']);
  });

  it('a reading acquired before the start does not count as fresh', () => {
    const rig = new Rig();
    rig.now = 5000;
    // Acquired at 1000 ms, before this engine started at 5000 ms (e.g. a cached value).
    rig.engine.evaluate((code) => (code === 'CH4-T2' ? { ...rig.reading(code)!, monoTime: 1000 } : rig.reading(code)), 5000);
    expect(rig.engine.holds().filter((h) => h.output === 'heading-power').map((h) => h.key)).toEqual(['startup:restart']);
  });

  it('a methane cut persisted before a crash holds after restart until the value is below restore', async () => {
    const first = boot(1_000_000);
    first.rig.evaluate();
    first.rig.step();
    first.rig.set({ 'CH4-T1': 1.6 }).step();
    first.rig.set({ 'CH4-T1': 1.2 }).step();
    expect(first.rig.energized('heading-power')).toBe(false);
    await journal!.flush();

    // New process: monotonic time starts again near zero; the wall clock moved on.
    const second = boot(2_000_000);
    second.rig.engine.restore(second.store, 0);
    second.rig.set({ 'CH4-T1': 1.2 }).evaluate();
    expect(second.rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T1']);
    expect(second.rig.eventsOf('restored')[0]).toMatchObject({ key: 'over-limit:CH4-T1', outputs: ['heading-power'] });
    second.rig.set({ 'CH4-T1': 0.9 }).step();
    expect(second.rig.energized('heading-power')).toBe(true);
  });

  it('without the persisted hold the same reading would energise: the store is what keeps it cut', () => {
    const rig = new Rig();
    rig.set({ 'CH4-T1': 1.2 }).evaluate();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('a fan lock and a remote cut survive a restart; the remote cut keeps its remaining time', async () => {
    const first = boot(1_000_000);
    first.rig.evaluate();
    first.rig.step();
    first.rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.3 }).step();
    first.rig.engine.remoteCut({ id: 'RC-1', outputs: ['upstream-power'], authority: 'dispatch', operator: 'chen', reason: 'gas spreading', durationMs: 60_000 }, first.rig.now);
    first.rig.step();
    await journal!.flush();
    const stoppedAt = first.rig.wallOffset + first.rig.now;

    const second = boot(stoppedAt + 20_000);
    second.rig.engine.restore(second.store, 0);
    second.rig.set({ 'FAN-RUN': 0, 'CH4-T1': 2.0 }).evaluate();
    expect(second.rig.engine.fanLocked('fan1')).toBe(true);
    // Reloaded holds come back with their alarms, so the beacon shows why power is off.
    expect(second.rig.alarmKeys()).toEqual(expect.arrayContaining(['fan-lock:fan1', 'fan-stopped:fan1']));
    expect(second.rig.decision('fan-power').holds).toContain('fan-lock:fan1');
    expect(second.rig.decision('upstream-power').holds).toEqual(['remote-cut:RC-1']);
    const remaining = second.rig.engine.activeRemoteCuts()[0]!.remainingMs;
    expect(remaining).toBeGreaterThan(38_000);
    expect(remaining).toBeLessThanOrEqual(40_000);
    // Only the same authority may release it after the restart too.
    expect(() => second.rig.engine.remoteRelease({ id: 'RC-1', authority: 'safety-office', operator: 'x' }, 0)).toThrow(expect.objectContaining({ code: 'WRONG_AUTHORITY' }));
    second.rig.run(40);
    expect(second.rig.energized('upstream-power')).toBe(true);
  });

  it('a remote cut that expired while the gateway was down is not reloaded', async () => {
    const first = boot(1_000_000);
    first.rig.evaluate();
    first.rig.engine.remoteCut({ id: 'RC-2', zones: ['heading'], authority: 'dispatch', operator: 'chen', reason: 'test', durationMs: 60_000 }, first.rig.now);
    first.rig.step();
    await journal!.flush();
    const second = boot(1_000_000 + 120_000);
    second.rig.engine.restore(second.store, 0);
    second.rig.evaluate();
    expect(second.rig.energized('heading-power')).toBe(true);
    expect(second.rig.eventsOf('remote-expired')[0]!.message).toContain('expired while the gateway was down');
  });

  it('restore is refused after evaluation has started', () => {
    const { rig, store } = boot(0);
    rig.evaluate();
    expect(() => rig.engine.restore(store, 1000)).toThrow(/before the first evaluate/);
  });
});
