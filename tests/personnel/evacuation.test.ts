import { describe, expect, it } from 'vitest';
import type { SafetyEvent } from '../../edge/safety/events.js';
import { PersonnelCommandError } from '../../edge/personnel/errors.js';
import { PersonnelRig, R, T } from './rig.js';

const LEADER_CARD = '14021200000100001';

function methaneCut(rig: PersonnelRig, over: Partial<SafetyEvent> = {}): SafetyEvent {
  return {
    seq: 1,
    type: 'cut',
    rule: 'over-limit',
    key: 'over-limit:F001A01',
    point: 'F001A01',
    value: 1.62,
    threshold: 1.5,
    outputs: ['heading-power'],
    wallTime: rig.clock.wall(),
    monoTime: rig.clock.mono(),
    message: 'F001A01 1.62 %CH4 ≥ cut-off 1.5',
    ...over,
  };
}

/** 李明 and 王强 at the face, 张建国 (their leader) in the heading roadway, 刘洋 at the shaft bottom. */
function crew(o: ConstructorParameters<typeof PersonnelRig>[0] = {}): PersonnelRig {
  const rig = new PersonnelRig(o);
  rig.toFace(T.li).toFace(T.wang).toFace(T.leader).walk(T.leader, [[R.headingMouth, 300_000]]);
  rig.walk(T.electrician, [[R.shaftOuter, 0], [R.shaftInner, 5_000], [R.shaftBottom, 60_000]]);
  rig.events.length = 0;
  return rig;
}

describe('evacuation (撤人)', () => {
  it('a heading methane cut-off sounds the heading sirens, pages the cards there, and counts them out', () => {
    const rig = crew();
    const view = rig.engine.onSafetyEvent(methaneCut(rig))!;
    expect(view.areas.map((a) => a.area)).toEqual(['heading-face', 'heading-roadway']);
    expect(view.triggers).toEqual([expect.objectContaining({ source: 'cutoff', reason: expect.stringContaining('over-limit cut-off in zone heading-3101') })]);
    expect([...rig.outputs].filter(([, on]) => on).map(([id]) => id).sort()).toEqual(['heading-beacon', 'heading-siren']);
    expect(view.inside.map((p) => p.name).sort()).toEqual(['张建国', '李明', '王强']);
    expect(view.insideCount).toBe(3);
    expect(rig.pages.filter((p) => p.reason === 'evacuate').map((p) => [p.tag, p.reader]).sort()).toEqual([
      [T.leader, R.headingMouth],
      [T.li, R.face],
      [T.wang, R.face],
    ]);
    expect(rig.pages.filter((p) => p.reason === 'acknowledge').map((p) => p.tag)).toEqual([T.leader, T.leader]);
    expect(rig.of('evacuation-start')).toHaveLength(1);

    // They walk out: the list shrinks, each with an exit time.
    rig.walk(T.leader, [[R.shaftBottom, 30_000]]);
    const leaderOut = rig.clock.wall();
    expect(rig.engine.evacuation()!.inside.map((p) => p.name).sort()).toEqual(['李明', '王强']);
    rig.walk(T.li, [[R.headingMouth, 200_000]]);
    expect(rig.engine.evacuation()!.insideCount).toBe(2);
    rig.walk(T.li, [[R.shaftBottom, 30_000]]).walk(T.wang, [[R.headingMouth, 10_000], [R.shaftBottom, 30_000]]);
    const ev = rig.engine.evacuation()!;
    expect(ev.insideCount).toBe(0);
    expect(ev.complete).toBe(true);
    expect(ev.evacuees.find((e) => e.tag === T.leader)).toMatchObject({ area: 'heading-roadway', exitWall: leaderOut });
    expect(rig.of('evacuee-out').map((e) => [e.name, e.inside])).toEqual([['张建国', 2], ['李明', 1], ['王强', 0]]);
    expect(rig.of('evacuation-complete')).toEqual([expect.objectContaining({ areas: ['heading-face', 'heading-roadway'], count: 3 })]);
    // The hazard is still there: sirens stay on (keeping people out) until an operator stands down.
    expect(rig.on('heading-siren')).toBe(true);
    rig.engine.acknowledge('heading-face', 'board-F001', 'button');
    rig.engine.acknowledge('heading-roadway', 'board-F001', 'button');
    expect(() => rig.engine.endEvacuation({ by: 'someone', reason: 'gas cleared' })).toThrow(expect.objectContaining({ code: 'NOT_AUTHORISED' }));
    rig.engine.endEvacuation({ by: 'dispatch-zhang', reason: 'CH4 back to 0.3 %, roadway inspected' });
    expect(rig.on('heading-siren')).toBe(false);
    expect(rig.on('heading-beacon')).toBe(false);
    expect(rig.engine.evacuation()).toBeNull();
    expect(rig.of('evacuation-end')).toEqual([expect.objectContaining({ by: 'dispatch-zhang', inside: 0 })]);
  });

  it('ignores cut-offs of other zones, rules not linked, and non-cut events', () => {
    const rig = crew();
    expect(rig.engine.onSafetyEvent(methaneCut(rig, { outputs: ['fan-power'] }))).toBeUndefined();
    expect(rig.engine.onSafetyEvent(methaneCut(rig, { rule: 'fault-lockout', type: 'lockout' }))).toBeUndefined();
    expect(rig.engine.onSafetyEvent(methaneCut(rig, { type: 'alarm-on' }))).toBeUndefined();
    expect(rig.engine.evacuation()).toBeNull();
    expect(rig.switches).toEqual([]);
    // A fan lock in the zone is linked: it evacuates.
    expect(rig.engine.onSafetyEvent(methaneCut(rig, { rule: 'fan-lock', type: 'lockout' }))).toBeDefined();
  });

  it('叫应: without an acknowledgement in time it escalates and keeps calling; a late acknowledgement stops that', () => {
    const rig = crew({ evacuation: { ackTimeoutMs: 120_000, recallIntervalMs: 30_000 } });
    rig.engine.onSafetyEvent(methaneCut(rig));
    const deadline = rig.engine.evacuation()!.areas[0]!.ackDeadlineWall;
    expect(deadline).toBe(rig.clock.wall() + 120_000);
    rig.advance(119_000);
    expect(rig.of('escalated')).toEqual([]);
    expect(rig.on('level-siren')).toBe(false);
    rig.advance(1_000);
    expect(rig.of('escalated').map((e) => [e.area, e.wallTime])).toEqual([['heading-face', deadline], ['heading-roadway', deadline]]);
    expect(rig.on('level-siren')).toBe(true);
    expect(rig.alarmEvents('ack-overdue').map((a) => [a.area, a.severity])).toEqual([['heading-face', 'critical'], ['heading-roadway', 'critical']]);
    const calls = () => rig.pages.filter((p) => p.reason === 'acknowledge' && p.tag === T.leader).length;
    const afterEscalation = calls();
    rig.advance(30_000);
    rig.advance(30_000);
    expect(calls()).toBe(afterEscalation + 4);
    expect(rig.of('recall').length).toBeGreaterThanOrEqual(6);

    rig.engine.acknowledge('heading-face', LEADER_CARD, 'card');
    // One area still overdue: the wider sirens stay.
    expect(rig.on('level-siren')).toBe(true);
    rig.engine.acknowledge('heading-roadway', 'board-F001', 'button');
    expect(rig.on('level-siren')).toBe(false);
    expect(rig.on('heading-siren')).toBe(true);
    expect(rig.alarmEvents('ack-overdue', 'alarm-end')).toHaveLength(2);
    const recalls = rig.of('recall').length;
    rig.advance(90_000);
    expect(rig.of('recall').length).toBe(recalls);
    expect(rig.engine.evacuation()!.areas.map((a) => a.acknowledged?.via)).toEqual(['card', 'button']);
  });

  it('an acknowledgement in time means no escalation; it must come from the responsible card and a running evacuation', () => {
    const rig = crew({ evacuation: { ackTimeoutMs: 60_000 } });
    expect(() => rig.engine.acknowledge('heading-face', 'board-F001', 'button')).toThrow(expect.objectContaining({ code: 'NO_EVACUATION' }));
    rig.engine.onSafetyEvent(methaneCut(rig));
    expect(() => rig.engine.acknowledge('heading-face', '14021200000100002', 'card')).toThrow(expect.objectContaining({ code: 'NOT_RESPONSIBLE' }));
    expect(() => rig.engine.acknowledge('nowhere', 'board-F001', 'button')).toThrow(expect.objectContaining({ code: 'UNKNOWN_AREA' }));
    expect(rig.engine.acknowledge('heading-face', 'board-F001', 'button')).toBe(true);
    expect(rig.engine.acknowledge('heading-face', 'board-F001', 'button')).toBe(false);
    expect(rig.engine.acknowledge('heading-roadway', LEADER_CARD, 'card')).toBe(true);
    rig.advance(120_000);
    expect(rig.of('escalated')).toEqual([]);
    expect(rig.on('level-siren')).toBe(false);
  });

  it('a double SOS press by the responsible person acknowledges; the SOS the first press raised ends as that', () => {
    const rig = crew();
    rig.engine.onSafetyEvent(methaneCut(rig));
    rig.see(T.leader, R.headingMouth, { sos: true }).advance(1_000).see(T.leader, R.headingMouth, { sos: true });
    expect(rig.open('sos')).toHaveLength(1);
    rig.advance(2_000).see(T.leader, R.headingMouth, { sos: true });
    expect(rig.engine.evacuation()!.areas.map((a) => a.acknowledged)).toEqual([
      { by: LEADER_CARD, via: 'card', wall: rig.clock.wall() },
      { by: LEADER_CARD, via: 'card', wall: rig.clock.wall() },
    ]);
    expect(rig.open('sos')).toEqual([]);
    expect(rig.alarmEvents('sos', 'alarm-end')).toEqual([expect.objectContaining({ endReason: 'double press: acknowledgement (叫应) of the evacuation' })]);

    // Anyone else pressing twice is calling for help, and stays so.
    rig.see(T.li, R.face, { sos: true }).advance(3_000).see(T.li, R.face, { sos: true });
    expect(rig.open('sos').map((a) => a.tag)).toEqual([T.li]);
  });

  it('a reader that flags the double press acknowledges at once, without an SOS', () => {
    const rig = crew();
    rig.engine.onSafetyEvent(methaneCut(rig));
    rig.see(T.leader, R.headingMouth, { sos: true, sosDouble: true });
    expect(rig.engine.evacuation()!.areas.every((a) => a.acknowledged?.via === 'card')).toBe(true);
    // The card repeats the flags in its next reports: still the same press, not an SOS.
    for (let i = 0; i < 5; i++) rig.advance(1_000).see(T.leader, R.headingMouth, { sos: true, sosDouble: true });
    expect(rig.alarmEvents('sos')).toEqual([]);
    expect(rig.of('acknowledged')).toHaveLength(2);
    // Without a pending acknowledgement a double press is an SOS.
    rig.advance(5_000).see(T.leader, R.headingMouth, { sos: true, sosDouble: true });
    expect(rig.open('sos').map((a) => a.tag)).toEqual([T.leader]);
  });

  it('manual and upstream triggers; widening; someone walking in is listed and paged; completion re-arms', () => {
    const rig = crew({ evacuation: { pageIntervalMs: 20_000 } });
    expect(() => rig.engine.startEvacuation({ areas: ['heading-face'], reason: 'drill', source: 'manual' })).toThrow(expect.objectContaining({ code: 'NOT_AUTHORISED' }));
    expect(() => rig.engine.startEvacuation({ areas: ['heading-face'], reason: 'drill', source: 'manual', by: 'intruder' })).toThrow(PersonnelCommandError);
    expect(() => rig.engine.startEvacuation({ areas: ['stope'], reason: 'drill', source: 'upstream' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_AREA' }));
    expect(() => rig.engine.startEvacuation({ areas: ['heading-face'], reason: ' ', source: 'upstream' })).toThrow(expect.objectContaining({ code: 'INVALID_COMMAND' }));
    expect(() => rig.engine.startEvacuation({ areas: ['heading-face'], reason: 'x', source: 'radio' as never })).toThrow(expect.objectContaining({ code: 'INVALID_COMMAND' }));
    expect(rig.engine.evacuation()).toBeNull();
    expect(rig.switches).toEqual([]);

    rig.engine.startEvacuation({ areas: ['explosives-store'], reason: 'water-inrush warning', source: 'upstream', by: 'platform' });
    expect(rig.of('evacuation-start')).toEqual([expect.objectContaining({ source: 'upstream', by: 'platform', areas: ['explosives-store'] })]);
    // Nobody is in the store: complete at once, sirens on anyway.
    expect(rig.of('evacuation-complete')).toHaveLength(1);
    expect(rig.on('store-siren')).toBe(true);

    rig.engine.startEvacuation({ areas: ['heading-face', 'explosives-store'], reason: 'dispatcher order', source: 'manual', by: 'dispatch-li' });
    expect(rig.of('evacuation-widened')).toEqual([expect.objectContaining({ areas: ['heading-face'], by: 'dispatch-li' })]);
    expect(rig.engine.evacuation()!.inside.map((p) => p.tag).sort()).toEqual([T.li, T.wang]);
    expect(rig.engine.evacuation()!.complete).toBe(false);

    // The electrician walks into the evacuated face anyway.
    rig.walk(T.electrician, [[R.headingMouth, 30_000], [R.face, 300_000]]);
    expect(rig.of('evacuee-added').map((e) => e.tag)).toContain(T.electrician);
    expect(rig.pages.filter((p) => p.tag === T.electrician && p.reason === 'evacuate').length).toBeGreaterThanOrEqual(1);
    // Everyone still inside is paged again every pageIntervalMs.
    const before = rig.pages.filter((p) => p.reason === 'evacuate').length;
    rig.advance(20_000);
    expect(rig.pages.filter((p) => p.reason === 'evacuate').length).toBe(before + 3);

    for (const tag of [T.li, T.wang, T.electrician]) rig.walk(tag, [[R.headingMouth, 200_000]]);
    expect(rig.of('evacuation-complete')).toHaveLength(2);

    // The platform stands it down (a verified downlink command; not a local operator).
    expect(() => rig.engine.endEvacuation({ by: '', reason: 'warning lifted', source: 'upstream' })).toThrow(expect.objectContaining({ code: 'NOT_AUTHORISED' }));
    expect(() => rig.engine.endEvacuation({ by: 'platform', reason: 'warning lifted' })).toThrow(expect.objectContaining({ code: 'NOT_AUTHORISED' }));
    rig.engine.endEvacuation({ by: 'platform', reason: 'warning lifted', source: 'upstream' });
    expect(rig.of('evacuation-end')).toEqual([expect.objectContaining({ by: 'platform', source: 'upstream' })]);
    expect(() => rig.engine.endEvacuation({ by: 'dispatch-li', reason: 'again' })).toThrow(expect.objectContaining({ code: 'NO_EVACUATION' }));
  });

  it('leaving the mine entirely also takes a person off the list', () => {
    const rig = crew();
    rig.engine.startEvacuation({ areas: ['shaft-bottom', 'shaft'], reason: 'drill', source: 'manual', by: 'dispatch-li' });
    expect(rig.engine.evacuation()!.inside.map((p) => p.tag)).toEqual([T.electrician]);
    rig.walk(T.electrician, [[R.shaftInner, 60_000]]);
    expect(rig.engine.evacuation()!.insideCount).toBe(1);
    rig.walk(T.electrician, [[R.shaftOuter, 5_000]]);
    expect(rig.engine.person(T.electrician)!.flag).toBe(2);
    expect(rig.engine.evacuation()!.evacuees).toEqual([expect.objectContaining({ tag: T.electrician, exitWall: rig.clock.wall() })]);
    expect(rig.engine.evacuation()!.complete).toBe(true);
  });
});
