// What must survive a gateway restart, with a real SQLite file: shift counts and each camera's last
// counters (crossings made while the gateway was down are counted once), operator-set modes,
// active alarms (they still get their end), the event sequence. And a failing store costs nothing
// but memory until it works again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SealEvent } from '../../edge/seals/events.js';
import { SealEngineClosedError } from '../../edge/seals/engine.js';
import { type PersistedSealState, SealStore, sealMigrations, type SealStateStore } from '../../edge/seals/store.js';
import { openDatabase } from '../../edge/store/database.js';
import { MAIN_CAM, type SealRig, sealConfig, startSealRig } from './rig.js';

let dir: string;
let db: Database.Database | undefined;
let rig: SealRig | undefined;

const open = (): SealStore => {
  db?.close();
  db = openDatabase(join(dir, 'minegate.db'), { seals: sealMigrations });
  return new SealStore(db);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-seals-'));
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const start = async (config = sealConfig()): Promise<SealRig> => {
  rig = await startSealRig({ config, engine: { store: open() } });
  rig.personnel.lastSighting = rig.clock.wall();
  return rig;
};
const restart = async (r: SealRig, config?: ReturnType<typeof sealConfig>): Promise<void> => {
  await r.engine.close();
  const store = open();
  if (config) {
    // A new config means a new engine in the rig's place, as a gateway restart with an edited file.
    await r.restartEngine({ store, config: config as never });
  } else {
    await r.restartEngine({ store });
  }
};
const totals = (r: SealRig, mouth = 'main') => r.engine.state().shaftMouths.find((m) => m.id === mouth)!.totals;

describe('seal state across a restart', () => {
  it('keeps shift counts and counts crossings made while the gateway was down exactly once', async () => {
    const r = await start();
    await r.step();
    r.mainCam.personIn(3);
    await r.step();
    expect(totals(r).peopleIn).toBe(3);
    await restart(r);
    expect(totals(r).peopleIn).toBe(3);
    expect(r.engine.sealHeadcount).toBe(3);
    r.mainCam.personIn(2);
    r.clock.advance(60_000);
    r.mark();
    await r.step();
    expect(r.of('crossing').map((e) => [e.cameraId, e.count])).toEqual([[MAIN_CAM, 2]]);
    expect(totals(r).peopleIn).toBe(5);
    // Stored events keep one rising sequence across the restart.
    const stored = new SealStore(db!).events();
    const seqs = stored.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(stored.filter((e) => e.type === 'crossing').map((e) => e.count)).toEqual([3, 2]);
    // Once closed, its state on disk is final: a late input is refused, not silently lost.
    await r.engine.close();
    expect(() => r.engine.tick()).toThrow(SealEngineClosedError);
  });

  it('keeps an operator-set stopped mode; a changed declaration in the config wins over it', async () => {
    const r = await start();
    await r.step();
    r.engine.setMode('main', 'stopped', { operator: '调度员 王', reason: '停产整顿' });
    await restart(r);
    expect(r.engine.state().shaftMouths[0]).toMatchObject({ mode: 'stopped', modeOperator: '调度员 王', modeReason: '停产整顿' });
    r.mainCam.personIn(1);
    r.mark();
    await r.step();
    expect(r.of('alarm-on', 'stopped-crossing')).toHaveLength(1);

    // The config now declares the mouth stopped and later producing again: each declaration change wins once.
    const declaredProducing = sealConfig();
    declaredProducing.shaftMouths[0]!.mode = 'producing';
    const declaredStopped = sealConfig();
    declaredStopped.shaftMouths[0]!.mode = 'stopped';
    await restart(r, declaredStopped);
    expect(r.engine.state().shaftMouths[0]).toMatchObject({ mode: 'stopped' });
    r.engine.setMode('main', 'producing', { operator: '矿长 李', reason: '复产' });
    await restart(r, declaredStopped);
    expect(r.engine.state().shaftMouths[0]).toMatchObject({ mode: 'producing', modeOperator: '矿长 李' });
    r.mark();
    await restart(r, declaredStopped);
    expect(r.of('mode-changed')).toEqual([]);
    // Declared producing while already producing: nothing to change.
    await restart(r, declaredProducing);
    expect(r.of('mode-changed')).toEqual([]);
    // A new stop order written into the config wins over the operator's earlier switch.
    await restart(r, declaredStopped);
    expect(r.engine.state().shaftMouths[0]).toMatchObject({ mode: 'stopped', modeOperator: 'config' });
    expect(r.of('mode-changed')).toMatchObject([{ operator: 'config', reason: 'declared mode in the config changed from producing to stopped' }]);
  });

  it('restores an active alarm so it still gets its end after the restart', async () => {
    const r = await start();
    await r.step();
    r.mainCam.setTamper({ displaced: true });
    await r.step();
    const [on] = r.of('alarm-on', 'displaced');
    await restart(r);
    expect(r.engine.activeAlarms().map((a) => a.id)).toEqual([on!.alarmId]);
    r.mainCam.setTamper({ displaced: false });
    r.mark();
    await r.step();
    expect(r.of('alarm-off', 'displaced').map((e) => e.alarmId)).toEqual([on!.alarmId]);
    expect(new SealStore(db!).events({ types: ['alarm-on', 'alarm-off'] }).map((e) => e.alarmId)).toEqual([on!.alarmId, on!.alarmId]);
  });

  it('keeps the card check window: a person without a card who entered just before a restart still raises 人员未带卡, which ends when the window slides past', async () => {
    const r = await start();
    await r.step();
    r.mainCam.personIn(2);
    r.personnel.checkIn('ST-MAIN', r.clock.wall(), 1);
    await r.step();
    await restart(r);
    r.mark();
    // The grace time (10 s) runs from the count, made before the restart.
    await r.step(11_000);
    const [on] = r.of('alarm-on', 'person-without-card');
    expect(on).toMatchObject({ shaftMouth: 'main', count: 1 });
    expect(on!.message).toMatch(/counted 2 persons entering .* only 1 card check-ins at ST-MAIN/);
    await r.step(50_000);
    expect(r.of('alarm-off', 'person-without-card')).toHaveLength(1);
  });

  it('raises nothing after a restart when every person counted in before it had a card', async () => {
    const r = await start();
    await r.step();
    r.mainCam.personIn(2);
    r.personnel.checkIn('ST-MAIN', r.clock.wall(), 2);
    await r.step();
    await restart(r);
    r.mark();
    for (let i = 0; i < 6; i++) await r.step(10_000);
    expect(r.of('alarm-on', 'person-without-card')).toEqual([]);
  });

  it('starts a new shift when the gateway comes back in a later shift, baseline from positioning', async () => {
    const r = await start();
    await r.step();
    r.mainCam.personIn(4);
    await r.step();
    await r.engine.close();
    r.clock.advance(7 * 3_600_000); // 10:00 → 17:00 mine time: the 16:00 shift
    r.personnel.underground = 6;
    r.personnel.lastSighting = r.clock.wall();
    r.mark();
    await r.restartEngine({ store: open() });
    const [shift] = r.of('shift-started');
    expect(shift).toMatchObject({ count: 6 });
    expect(shift!.message).toMatch(/baseline 6 \(positioning headcount\)/);
    // Mine time with its zone, as every screen shows it (not UTC ISO): the 16:00 shift.
    expect(shift!.message).toContain('shift started at 2026-01-05 16:00:00+08:00;');
    expect(totals(r).peopleIn).toBe(0);
    expect(r.engine.sealHeadcount).toBe(6);
  });
});

describe('a failing store', () => {
  /** The real store, made to fail on demand (a full or read-only disk). */
  class FlakyStore implements SealStateStore {
    broken = false;
    constructor(private readonly inner: SealStore) {}
    load(): PersistedSealState | null {
      return this.inner.load();
    }
    write(batch: { state: PersistedSealState; events: readonly SealEvent[] }): void {
      if (this.broken) throw Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' });
      this.inner.write(batch);
    }
  }

  it('keeps raising alarms and writes the held events once the store works again', async () => {
    const flaky = new FlakyStore(open());
    rig = await startSealRig({ engine: { store: flaky } });
    const r = rig;
    await r.step();
    flaky.broken = true;
    r.engine.setMode('main', 'stopped', { operator: 'op', reason: 'r' });
    r.mainCam.personIn(1);
    await r.step();
    expect(r.of('alarm-on', 'stopped-crossing')).toHaveLength(1);
    expect(r.engine.state().store).toMatchObject({ lastError: expect.stringMatching(/SQLITE_FULL/) });
    expect(r.engine.state().store.pendingEvents).toBeGreaterThan(0);
    flaky.broken = false;
    await r.step();
    expect(r.engine.state().store).toEqual({ pendingEvents: 0, droppedEvents: 0, lastError: null });
    expect(new SealStore(db!).events({ types: ['mode-changed', 'alarm-on', 'crossing'] }).map((e) => e.type)).toEqual(['mode-changed', 'crossing', 'alarm-on']);
  });

  it('drops the oldest events beyond its capacity and says how many', async () => {
    const flaky = new FlakyStore(open());
    rig = await startSealRig({ engine: { store: flaky, pendingCapacity: 3 } });
    const r = rig;
    await r.step();
    flaky.broken = true;
    for (let i = 0; i < 5; i++) {
      r.mainCam.personIn(1);
      await r.step();
    }
    expect(r.engine.state().store).toMatchObject({ pendingEvents: 3, droppedEvents: 2 });
    flaky.broken = false;
    await r.step();
    const stored = new SealStore(db!).events({ types: ['crossing', 'events-dropped'] });
    expect(stored.map((e) => e.type)).toEqual(['crossing', 'crossing', 'crossing', 'events-dropped']);
    expect(stored[3]!.count).toBe(2);
  });
});
