import { describe, expect, it } from 'vitest';
import { PersonnelCommandError } from '../../edge/personnel/errors.js';
import { exampleConfig, PersonnelRig, R, T, UP_FROM_FACE } from './rig.js';

function withAreas(change: (area: NonNullable<ReturnType<typeof exampleConfig>['personnel']>['areas'][number]) => object) {
  return { personnel: { areas: exampleConfig().personnel!.areas.map((a) => ({ ...a, ...change(a) })) } };
}

describe('personnel alarms', () => {
  it('overtime (超时): starts when the stay exceeds the limit, ends when the person is out', () => {
    const rig = new PersonnelRig({ alarms: { overtimeMs: 120_000 } });
    rig.toFace(T.li);
    const [alarm] = rig.alarmEvents('overtime');
    expect(alarm).toMatchObject({ key: 'overtime:1002', card: '14021200000100002', entryWall: rig.engine.person(T.li)!.entryWall, allowedMs: 120_000, severity: 'warning', endWall: null });
    // Ticks keep running: one alarm, not one per tick.
    rig.advance(1_000).advance(1_000);
    expect(rig.alarmEvents('overtime')).toHaveLength(1);
    rig.walk(T.li, UP_FROM_FACE);
    expect(rig.alarmEvents('overtime', 'alarm-end')).toEqual([expect.objectContaining({ key: 'overtime:1002', endWall: rig.clock.wall() })]);
    expect(rig.open('overtime')).toEqual([]);
  });

  it('area over-manning (超员): more people than the rated count, until one leaves', () => {
    const rig = new PersonnelRig(withAreas((a) => (a.id === 'heading-face' ? { ratedCount: 1 } : {})));
    rig.toFace(T.li);
    expect(rig.open('area-overmanning')).toEqual([]);
    rig.toFace(T.wang).toFace(T.leader);
    expect(rig.alarmEvents('area-overmanning')).toEqual([expect.objectContaining({ area: 'heading-face', rated: 1, actual: 2 })]);
    expect(rig.open('area-overmanning')[0]!.actual).toBe(3);
    rig.walk(T.wang, [[R.headingMouth, 300_000]]);
    expect(rig.open('area-overmanning')).toHaveLength(1);
    rig.walk(T.leader, [[R.headingMouth, 300_000]]);
    expect(rig.alarmEvents('area-overmanning', 'alarm-end')).toEqual([expect.objectContaining({ area: 'heading-face', actual: 3 })]);
  });

  it('mine over-manning: more people underground than ratedUnderground', () => {
    const rig = new PersonnelRig({ personnel: { ratedUnderground: 1 } });
    rig.toFace(T.li);
    rig.walk(T.wang, [[R.shaftOuter, 0]]);
    // At the shaft mouth (flag 0) does not count as underground yet.
    expect(rig.open('mine-overmanning')).toEqual([]);
    rig.walk(T.wang, [[R.shaftInner, 5_000]]);
    expect(rig.alarmEvents('mine-overmanning')).toEqual([expect.objectContaining({ key: 'mine-overmanning:mine', rated: 1, actual: 2, severity: 'critical' })]);
    rig.walk(T.wang, [[R.shaftOuter, 5_000]]);
    expect(rig.alarmEvents('mine-overmanning', 'alarm-end')).toHaveLength(1);
  });

  it('restricted area (限制区域) and special-operators-only area: start on entry, end on leaving; allowed cards are quiet', () => {
    const rig = new PersonnelRig();
    const toStore = (tag: number) => rig.walk(tag, [[R.shaftOuter, 0], [R.shaftInner, 5_000], [R.shaftBottom, 60_000], [R.store, 120_000]]);
    toStore(T.blaster);
    expect(rig.engine.person(T.blaster)!.area).toBe('explosives-store');
    expect(rig.open('restricted-area')).toEqual([]);
    expect(rig.open('special-area')).toEqual([]);

    toStore(T.gasInspector);
    expect(rig.alarmEvents('restricted-area')).toEqual([expect.objectContaining({ tag: T.gasInspector, area: 'explosives-store', reader: R.store, severity: 'critical' })]);
    // A special operator, so the special-operators-only rule is satisfied.
    expect(rig.open('special-area')).toEqual([]);

    toStore(T.electrician);
    expect(rig.open('restricted-area').map((a) => a.tag).sort()).toEqual([T.gasInspector, T.electrician]);
    expect(rig.alarmEvents('special-area')).toEqual([expect.objectContaining({ tag: T.electrician, area: 'explosives-store' })]);

    rig.walk(T.electrician, [[R.shaftBottom, 120_000]]);
    expect(rig.alarmEvents('restricted-area', 'alarm-end').map((a) => a.tag)).toEqual([T.electrician]);
    expect(rig.alarmEvents('special-area', 'alarm-end').map((a) => a.tag)).toEqual([T.electrician]);
    expect(rig.open('restricted-area').map((a) => a.tag)).toEqual([T.gasInspector]);
  });

  it('SOS (求救): one alarm per press however often the card repeats it; an operator clears it', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    rig.see(T.li, R.face, { sos: true, distanceM: -12 });
    rig.advance(1_000).see(T.li, R.face, { sos: true });
    rig.advance(1_000).see(T.li, R.face, { sos: false });
    expect(rig.alarmEvents('sos')).toEqual([expect.objectContaining({ key: 'sos:1002', area: 'heading-face', reader: R.face, distanceM: -12, severity: 'critical' })]);
    expect(rig.engine.person(T.li)!.sos).toBe(true);
    // The flag dropping does not end it: someone must deal with it.
    rig.advance(600_000);
    expect(rig.open('sos')).toHaveLength(1);
    expect(() => rig.engine.clearAlarm('sos:1002', '')).toThrow(PersonnelCommandError);
    rig.engine.clearAlarm('sos:1002', 'dispatch-zhang');
    expect(rig.alarmEvents('sos', 'alarm-end')).toEqual([expect.objectContaining({ endReason: 'cleared by dispatch-zhang' })]);
    expect(rig.engine.person(T.li)!.sos).toBe(false);
    // Only latched alarms are cleared by hand.
    rig.see(T.li, R.face, { lowBattery: true });
    expect(() => rig.engine.clearAlarm('low-battery:1002', 'dispatch-zhang')).toThrow(expect.objectContaining({ code: 'NOT_CLEARABLE' }));
  });

  it('an SOS in a report older than the held position still counts', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    const late = rig.sighting(T.li, R.headingMouth, { sos: true, monoTime: rig.clock.mono() - 3_000, wallTime: rig.clock.wall() - 3_000 });
    rig.engine.onSighting(late);
    expect(rig.open('sos')).toHaveLength(1);
    expect(rig.engine.person(T.li)!.area).toBe('heading-face');
  });

  it('low card battery: starts with the flag, ends when the card reports a good battery', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    rig.see(T.li, R.face, { lowBattery: true }).advance(1_000).see(T.li, R.face, { lowBattery: true });
    expect(rig.alarmEvents('low-battery')).toEqual([expect.objectContaining({ tag: T.li, reader: R.face, severity: 'warning' })]);
    rig.advance(1_000).see(T.li, R.face, { lowBattery: false });
    expect(rig.alarmEvents('low-battery', 'alarm-end')).toHaveLength(1);
  });

  it('lost card: underground and not seen for lostCardMs; ends when seen again', () => {
    // Between stations nobody hears a card: the limit must be longer than the longest gap in coverage (300 s here).
    const rig = new PersonnelRig({ alarms: { lostCardMs: 400_000 } });
    rig.toFace(T.li);
    expect(rig.open('lost-card')).toEqual([]);
    rig.advance(399_000);
    expect(rig.open('lost-card')).toEqual([]);
    rig.advance(2_000);
    expect(rig.alarmEvents('lost-card')).toEqual([expect.objectContaining({ tag: T.li, area: 'heading-face', reader: R.face, severity: 'critical' })]);
    rig.see(T.li, R.face);
    expect(rig.alarmEvents('lost-card', 'alarm-end')).toEqual([expect.objectContaining({ endReason: 'seen again at 3101掘进工作面迎头' })]);
  });

  it('a reader going offline is its own alarm and explains the silence of the cards it covered', () => {
    const rig = new PersonnelRig({ alarms: { lostCardMs: 400_000 } });
    rig.toFace(T.li);
    rig.engine.onReaderState(R.face, true);
    rig.engine.onReaderState(R.face, false);
    expect(rig.alarmEvents('reader-offline')).toEqual([expect.objectContaining({ key: 'reader-offline:5', area: 'heading-face' })]);
    rig.advance(500_000);
    expect(rig.open('lost-card')).toEqual([]);
    rig.engine.onReaderState(R.face, true);
    expect(rig.alarmEvents('reader-offline', 'alarm-end')).toHaveLength(1);
    rig.advance(1_000);
    expect(rig.open('lost-card').map((a) => a.tag)).toEqual([T.li]);
  });

  it('one person with two cards in the mine (一人多卡)', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li);
    rig.walk(T.liSpare, [[R.shaftOuter, 0]]);
    expect(rig.alarmEvents('multiple-cards')).toEqual([expect.objectContaining({ key: 'multiple-cards:E0002', person: 'E0002', name: '李明', tags: [T.li, T.liSpare] })]);
    rig.advance(200_000);
    expect(rig.engine.person(T.liSpare)!.flag).toBe(2);
    expect(rig.alarmEvents('multiple-cards', 'alarm-end')).toEqual([expect.objectContaining({ endReason: 'one card left in the mine' })]);
  });

  it('cloned card: one tag at two stations faster than anyone walks; the cage leg at cage speed is fine', () => {
    const rig = new PersonnelRig({ alarms: { clonedCardClearMs: 60_000 } });
    rig.toFace(T.li);
    expect(rig.open('cloned-card')).toEqual([]);
    // 860 m from the face to the shaft bottom in 2 s.
    rig.advance(2_000).see(T.li, R.shaftBottom);
    const [alarm] = rig.alarmEvents('cloned-card');
    expect(alarm).toMatchObject({ tag: T.li, readers: [R.face, R.shaftBottom], severity: 'critical' });
    // 860 m in 2 s plus the 2 s report slack.
    expect(alarm!.speedMps).toBe(215);
    // Quiet for the clear time: the alarm ends.
    rig.advance(61_000);
    expect(rig.alarmEvents('cloned-card', 'alarm-end')).toHaveLength(1);

    // Readers report how far the card was: two neighbours hearing it at their edges is no jump.
    const other = new PersonnelRig();
    other.toFace(T.wang).walk(T.wang, [[R.headingMouth, 300_000]]).see(T.wang, R.headingMouth, { distanceM: 30 });
    other.advance(500).see(T.wang, R.shaftBottom, { distanceM: 30 }).see(T.wang, R.headingMouth, { distanceM: 30 });
    expect(other.open('cloned-card')).toEqual([]);

    // The cage: 410 m in 40 s is ~10 m/s, too fast on foot but within the leg's 12 m/s.
    const cage = new PersonnelRig();
    cage.walk(T.leader, [[R.shaftOuter, 0], [R.shaftInner, 5_000], [R.shaftBottom, 40_000]]);
    expect(cage.open('cloned-card')).toEqual([]);
    cage.walk(T.leader, [[R.shaftInner, 20_000]]);
    expect(cage.open('cloned-card').map((a) => a.readers)).toEqual([[R.shaftBottom, R.shaftInner]]);
  });
});
