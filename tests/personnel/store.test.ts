import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { PersonnelEngine } from '../../edge/personnel/engine.js';
import type { PersonnelBatch } from '../../edge/personnel/journal.js';
import { personnelMigrations, PersonnelStore } from '../../edge/personnel/store.js';
import { openDatabase } from '../../edge/store/database.js';
import { waitFor } from '../helpers/wait-for.js';
import { configWith, DOWN_TO_FACE, PersonnelRig, R, T, WALL0 } from './rig.js';

describe('personnel persistence', () => {
  let dir: string;
  const dbs: Database.Database[] = [];
  const engines: PersonnelEngine[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'minegate-personnel-'));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    for (const db of dbs.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openStore(): PersonnelStore {
    const db = openDatabase(join(dir, 'minegate.db'), { personnel: personnelMigrations });
    dbs.push(db);
    return new PersonnelStore(db);
  }

  /** One gateway "process": its own connection, engine and a monotonic clock that starts afresh. */
  function boot(wall: number, overrides: Parameters<typeof configWith>[0] = {}): { rig: PersonnelRig; store: PersonnelStore } {
    const store = openStore();
    const rig = new PersonnelRig(overrides, { sink: store }, wall);
    engines.push(rig.engine);
    return { rig, store };
  }

  it('the sighting path never writes; a later turn of the event loop does', async () => {
    const batches: PersonnelBatch[] = [];
    const rig = new PersonnelRig({}, { sink: { write: (b) => void batches.push(b) } });
    engines.push(rig.engine);
    rig.toFace(T.li);
    expect(batches).toEqual([]);
    await rig.engine.flush();
    expect(batches.flatMap((b) => b.people.map((p) => p.tag))).toEqual([T.li]);
    expect(batches.flatMap((b) => b.events.map((e) => e.type))).toContain('entered-mine');
    // The last-seen time alone is written at most every 30 s, not on every report.
    batches.length = 0;
    for (let i = 0; i < 10; i++) rig.advance(1_000).see(T.li, R.face);
    await rig.engine.flush();
    expect(batches).toEqual([]);
    rig.advance(25_000).see(T.li, R.face);
    await rig.engine.flush();
    expect(batches.flatMap((b) => b.people.map((p) => p.lastSeenWall))).toEqual([rig.clock.wall()]);
  });

  it('a restart restores positions, open alarms and the evacuation with its deadlines, and sounds the sirens again', async () => {
    const first = boot(WALL0, { evacuation: { ackTimeoutMs: 600_000 } });
    let rig = first.rig;
    rig.toFace(T.li).toFace(T.wang).walk(T.gasInspector, [[R.shaftOuter, 0], [R.shaftInner, 5_000], [R.shaftBottom, 60_000], [R.store, 120_000]]);
    rig.see(T.li, R.face, { sos: true });
    rig.engine.startEvacuation({ areas: ['heading-face'], reason: 'water-inrush warning', source: 'upstream', by: 'platform' });
    rig.engine.acknowledge('heading-face', 'board-F001', 'button');
    rig.engine.startEvacuation({ areas: ['explosives-store'], reason: 'dispatcher order', source: 'manual', by: 'dispatch-li' });
    rig.walk(T.wang, [[R.headingMouth, 200_000]]);
    const before = rig.engine.evacuation()!;
    const storeDeadline = before.areas.find((a) => a.area === 'explosives-store')!.ackDeadlineWall;
    const liBefore = rig.engine.person(T.li)!;
    const crashWall = rig.clock.wall();
    await rig.engine.flush();
    expect(rig.engine.stats().journal).toMatchObject({ failures: 0, queuedEvents: 0, dirtyPeople: 0 });

    // 30 s later a new process starts.
    const second = boot(crashWall + 30_000, { evacuation: { ackTimeoutMs: 600_000 } });
    rig = second.rig;
    expect(rig.engine.restore(second.store)).toEqual({ people: 3, alarms: 2, evacuation: true });
    expect(rig.engine.person(T.li)).toEqual({ ...liBefore, timeInMineMs: liBefore.timeInMineMs + 30_000 });
    expect(rig.engine.headcount().byArea).toMatchObject({ 'heading-face': 1, 'heading-roadway': 1, 'explosives-store': 1 });
    expect(rig.engine.alarms().map((a) => a.key).sort()).toEqual(['restricted-area:1004', 'sos:1002']);
    const after = rig.engine.evacuation()!;
    expect(after).toEqual({ ...before, outputs: expect.any(Array) });
    expect(after.inside.map((p) => p.name).sort()).toEqual(['李明', '赵磊']);
    expect([...rig.outputs].filter(([, on]) => on).map(([id]) => id).sort()).toEqual(['heading-beacon', 'heading-siren', 'store-siren']);
    expect(rig.of('restored')).toEqual([expect.objectContaining({ count: 3, inside: 2 })]);
    expect(rig.events.filter((e) => e.type === 'alarm-start')).toEqual([]);

    // The store's 叫应 deadline is the one set before the crash, not 600 s after the restart.
    rig.advance(storeDeadline - rig.clock.wall() - 1);
    expect(rig.of('escalated')).toEqual([]);
    rig.advance(1);
    expect(rig.of('escalated').map((e) => [e.area, e.wallTime])).toEqual([['explosives-store', storeDeadline]]);
    expect(rig.on('level-siren')).toBe(true);

    // Restored alarms end normally; people walk out of the restored list.
    rig.engine.clearAlarm('sos:1002', 'dispatch-zhang');
    rig.walk(T.li, [[R.headingMouth, 200_000]]);
    rig.walk(T.gasInspector, [[R.shaftBottom, 120_000]]);
    expect(rig.engine.evacuation()!.complete).toBe(true);
    expect(rig.alarmEvents('restricted-area', 'alarm-end')).toHaveLength(1);
    await rig.engine.flush();
    const logged = second.store.events({ types: ['evacuation-complete', 'escalated', 'restored'] }).map((e) => e.type);
    expect(logged).toEqual(['evacuation-complete', 'escalated', 'restored']);
  });

  it('after a restart, lost-card and shaft-exit timeouts wait for the readers to report first', async () => {
    const first = boot(WALL0, { alarms: { lostCardMs: 600_000 } });
    first.rig.walk(T.li, DOWN_TO_FACE).walk(T.wang, DOWN_TO_FACE);
    const lastSeen = first.rig.clock.wall();
    await first.rig.engine.flush();
    // The gateway was down for 20 min: the cards' silence says nothing about the cards.
    const second = boot(lastSeen + 1_200_000, { alarms: { lostCardMs: 600_000, startupGraceMs: 30_000 } });
    second.rig.engine.restore(second.store);
    second.rig.advance(29_000);
    expect(second.rig.open('lost-card')).toEqual([]);
    second.rig.see(T.li, R.face);
    // Past the grace: 李明 reported; 王强's card did not and is lost.
    second.rig.advance(2_000);
    expect(second.rig.open('lost-card').map((a) => a.tag)).toEqual([T.wang]);
  });

  it('restore refuses to run after sightings were processed', () => {
    const { rig, store } = boot(WALL0);
    rig.see(T.li, R.shaftOuter);
    expect(() => rig.engine.restore(store)).toThrow(expect.objectContaining({ code: 'INVALID_COMMAND' }));
  });

  it('a failing store keeps the state and retries; an overflow is reported, never silent', async () => {
    const clock = new ManualClock(WALL0, 0);
    let failing = true;
    const written: PersonnelBatch[] = [];
    const engine = new PersonnelEngine({
      config: configWith({ alarms: { startupGraceMs: 0 } }),
      clock,
      sink: {
        write(batch) {
          if (failing) throw new Error('SQLITE_FULL: database or disk is full');
          written.push(batch);
        },
      },
      journal: { capacity: 5, retryMs: 5, maxRetryMs: 10 },
    });
    engines.push(engine);
    const see = (tag: number, reader: number) =>
      engine.onSighting({ tag, reader, rssi: -60, distanceM: 0, lowBattery: false, sos: false, wallTime: clock.wall(), monoTime: clock.mono() });
    for (const tag of [T.li, T.wang, T.leader, T.electrician]) {
      see(tag, R.shaftOuter);
      clock.advance(5_000);
      see(tag, R.shaftInner);
    }
    // Four entries, four SOS: eight events for a queue of five.
    for (const tag of [T.li, T.wang, T.leader, T.electrician]) {
      engine.onSighting({ tag, reader: R.shaftInner, rssi: -60, distanceM: 0, lowBattery: false, sos: true, wallTime: clock.wall(), monoTime: clock.mono() });
    }
    await waitFor(() => engine.stats().journal!.failures >= 2, { what: 'two failed writes' });
    expect(engine.stats().journal).toMatchObject({ dirtyPeople: 4, queuedEvents: 5, dropped: 3, lastError: 'SQLITE_FULL: database or disk is full' });
    failing = false;
    await waitFor(() => engine.stats().journal!.dirtyPeople === 0 && engine.stats().journal!.queuedEvents === 0, { what: 'the retry to drain' });
    const events = written.flatMap((b) => b.events);
    expect(events[0]).toMatchObject({ type: 'events-dropped', count: 3 });
    // The oldest three entries were lost; the newest five arrived in order.
    expect(events.slice(1).map((e) => [e.type, e.tag])).toEqual([
      ['entered-mine', T.electrician],
      ['alarm-start', T.li],
      ['alarm-start', T.wang],
      ['alarm-start', T.leader],
      ['alarm-start', T.electrician],
    ]);
    expect(written.flatMap((b) => b.people.map((p) => [p.tag, p.flag])).sort()).toEqual([
      [T.leader, 1],
      [T.li, 1],
      [T.wang, 1],
      [T.electrician, 1],
    ].sort());
  });
});
