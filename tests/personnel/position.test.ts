import { describe, expect, it } from 'vitest';
import { PersonnelRig, R, T, WALL0 } from './rig.js';

describe('personnel position state', () => {
  it('passing the shaft pair inby puts a card underground; entry time is the first shaft sighting', () => {
    const rig = new PersonnelRig();
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 2, entryWall: null, area: null });
    const t0 = rig.clock.wall();
    rig.see(T.li, R.shaftOuter);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 0, area: 'shaft', reader: R.shaftOuter, entryWall: null });
    expect(rig.engine.headcount()).toMatchObject({ underground: 0, atShaftMouth: 1 });

    rig.advance(5_000).see(T.li, R.shaftInner);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 1, area: 'shaft', reader: R.shaftInner, entryWall: t0, stationEntryWall: t0 + 5_000 });
    expect(rig.of('entered-mine').map((e) => [e.tag, e.wallTime])).toEqual([[T.li, t0 + 5_000]]);
    expect(rig.engine.headcount()).toMatchObject({ underground: 1, atShaftMouth: 0 });
  });

  it('tracks area and station entry times, trajectory and per-area headcount down to the face', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li).toFace(T.wang);
    const li = rig.engine.person('14021200000100002')!;
    expect(li.flag).toBe(1);
    expect(li.area).toBe('heading-face');
    expect(li.trajectory.map((t) => t.reader)).toEqual([R.shaftOuter, R.shaftInner, R.shaftBottom, R.headingMouth, R.face]);
    // 李明 walked first; 王强 followed 395 s later, so 李明's face entry is earlier.
    expect(rig.engine.person(T.wang)!.areaEntryWall! - li.areaEntryWall!).toBe(395_000);
    expect(li.timeInMineMs).toBe(rig.clock.wall() - WALL0);
    expect(rig.engine.headcount()).toEqual({
      underground: 2,
      atShaftMouth: 0,
      byArea: { shaft: 0, 'shaft-bottom': 0, 'heading-roadway': 0, 'heading-face': 2, 'explosives-store': 0 },
    });
    expect(rig.engine.inArea('heading-face').map((p) => p.name).sort()).toEqual(['李明', '王强']);
  });

  it('passing the shaft pair outby takes the card out at once, with its exit time', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    const entry = rig.engine.person(T.li)!.entryWall;
    rig.walk(T.li, [[R.headingMouth, 300_000], [R.shaftBottom, 30_000], [R.shaftInner, 60_000]]);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 0, area: 'shaft', entryWall: entry });
    rig.advance(5_000).see(T.li, R.shaftOuter);
    const out = rig.engine.person(T.li)!;
    expect(out).toMatchObject({ flag: 2, area: null, reader: null, entryWall: entry, exitWall: rig.clock.wall() });
    expect(rig.of('left-mine').map((e) => e.tag)).toEqual([T.li]);
    expect(rig.engine.headcount().underground).toBe(0);

    // Still in range of the outer reader a few seconds later: not a new arrival.
    rig.advance(2_000).see(T.li, R.shaftOuter);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 2, exitWall: out.exitWall });
    // Next shift at the shaft: a new trip.
    rig.advance(8 * 3600_000).see(T.li, R.shaftOuter);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 0, entryWall: null, exitWall: null });
    expect(rig.engine.person(T.li)!.trajectory.map((t) => t.reader)).toEqual([R.shaftOuter]);
  });

  it('a card last seen at the shaft mouth and silent long enough has left the mine (no pair passed)', () => {
    const rig = new PersonnelRig({ alarms: { shaftMouthExitMs: 60_000 } });
    rig.toFace(T.li);
    rig.walk(T.li, [[R.headingMouth, 300_000], [R.shaftBottom, 30_000], [R.shaftInner, 60_000]]);
    const lastSeen = rig.clock.wall();
    rig.advance(59_000);
    expect(rig.engine.person(T.li)!.flag).toBe(0);
    rig.advance(2_000);
    expect(rig.engine.person(T.li)).toMatchObject({ flag: 2, exitWall: lastSeen, area: null });
  });

  it('does not flap between two readers that both hear the card, but follows a clearly stronger one', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    rig.walk(T.li, [[R.headingMouth, 300_000]]);
    // The card stands between the shaft bottom and the heading mouth (60 m apart, both in range).
    for (let i = 0; i < 5; i++) {
      rig.advance(1_000).see(T.li, R.headingMouth, { rssi: -70, distanceM: 30 }).see(T.li, R.shaftBottom, { rssi: -72, distanceM: 30 });
    }
    const li = rig.engine.person(T.li)!;
    expect(li.reader).toBe(R.headingMouth);
    expect(li.trajectory.map((t) => t.reader).slice(-2)).toEqual([R.face, R.headingMouth]);
    rig.advance(1_000).see(T.li, R.shaftBottom, { rssi: -60, distanceM: 5 });
    expect(rig.engine.person(T.li)).toMatchObject({ reader: R.shaftBottom, area: 'shaft-bottom' });
  });

  it('a late report never moves a card backwards', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    const late = rig.sighting(T.li, R.headingMouth, { monoTime: rig.clock.mono() - 10_000, wallTime: rig.clock.wall() - 10_000 });
    rig.advance(5_000);
    rig.engine.onSighting(late);
    expect(rig.engine.person(T.li)).toMatchObject({ area: 'heading-face', reader: R.face });
    expect(rig.engine.stats().stale).toBe(1);
  });

  it('reports an unknown tag and an unknown reader once each, and ignores them', () => {
    const rig = new PersonnelRig();
    rig.see(424242, R.shaftOuter).see(424242, R.shaftInner).see(T.li, 77).see(T.li, 77);
    expect(rig.of('unknown-card').map((e) => e.tag)).toEqual([424242]);
    expect(rig.of('unknown-reader').map((e) => e.reader)).toEqual([77]);
    expect(rig.engine.person(T.li)!.flag).toBe(2);
    expect(rig.engine.stats().unknown).toBe(4);
  });

  it('stations start unknown and follow the reader driver', () => {
    const rig = new PersonnelRig();
    expect(rig.engine.stations().map((s) => s.state)).toEqual(Array(6).fill('unknown'));
    rig.engine.onReaderState(R.face, true, 'ac');
    expect(rig.engine.stations().find((s) => s.reader === R.face)).toMatchObject({ state: 'online', power: 'ac', sinceWall: rig.clock.wall() });
  });
});
