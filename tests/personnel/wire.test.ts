// Acceptance over real serial bytes: simulated readers on a socat PTY → CardReaderBus →
// PersonnelEngine. One test per alarm of the issue (item 4) and the evacuation scenario (item 5).
// Gateway time runs 100× real time (wire-rig.ts): "60 s" below is 0.6 s of wall-clock test time.
import { afterEach, describe, expect, it } from 'vitest';
import type { SafetyEvent } from '../../edge/safety/events.js';
import { waitFor } from '../helpers/wait-for.js';
import { exampleConfig, R, T } from './rig.js';
import { OFFLINE_AFTER_MS, WireRig } from './wire-rig.js';

const rigs: WireRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});
async function start(o: Parameters<typeof WireRig.start>[0] = {}): Promise<WireRig> {
  const rig = await WireRig.start(o);
  rigs.push(rig);
  return rig;
}

function areasWith(id: string, change: object) {
  return exampleConfig().personnel!.areas.map((a) => (a.id === id ? { ...a, ...change } : a));
}

describe('personnel alarms from simulated readers over a serial line', () => {
  it('overtime (超时)', async () => {
    const rig = await start({ alarms: { overtimeMs: 60_000 } });
    await rig.place({ [T.li]: R.face });
    const [opened] = await rig.alarmStarts('overtime');
    expect(opened!.alarm).toMatchObject({ tag: T.li, allowedMs: 60_000 });
    expect(opened!.wallTime - opened!.alarm!.entryWall!).toBeGreaterThanOrEqual(60_000);
    await rig.leave(T.li);
    await rig.alarmEnds('overtime');
  });

  it('area over-manning (超员)', async () => {
    const rig = await start({ personnel: { areas: areasWith('heading-face', { ratedCount: 1 }) } });
    await rig.place({ [T.li]: R.face, [T.wang]: R.face });
    const [opened] = await rig.alarmStarts('area-overmanning');
    expect(opened!.alarm).toMatchObject({ area: 'heading-face', rated: 1, actual: 2 });
    await rig.place({ [T.wang]: R.shaftBottom });
    await rig.alarmEnds('area-overmanning');
  });

  it('mine total over its rated headcount', async () => {
    const rig = await start({ personnel: { ratedUnderground: 1 } });
    await rig.place({ [T.li]: R.face, [T.wang]: R.shaftBottom });
    const [opened] = await rig.alarmStarts('mine-overmanning');
    expect(opened!.alarm).toMatchObject({ rated: 1, actual: 2 });
    await rig.leave(T.wang);
    await rig.alarmEnds('mine-overmanning');
  });

  it('restricted-area entry (限制区域) and a non-special-operator in a special-operators-only area', async () => {
    const rig = await start();
    await rig.place({ [T.blaster]: R.store, [T.electrician]: R.store });
    const [restricted] = await rig.alarmStarts('restricted-area');
    const [special] = await rig.alarmStarts('special-area');
    // The blaster is allowed in and is a special operator: only the electrician is alarmed.
    expect(restricted!.alarm).toMatchObject({ tag: T.electrician, area: 'explosives-store', reader: R.store });
    expect(special!.alarm).toMatchObject({ tag: T.electrician, area: 'explosives-store' });
    await rig.place({ [T.electrician]: R.shaftBottom });
    await rig.alarmEnds('restricted-area');
    await rig.alarmEnds('special-area');
    expect(rig.engine.alarms().filter((a) => a.tag === T.blaster)).toEqual([]);
  });

  it('SOS (求救)', async () => {
    const rig = await start();
    await rig.place({ [T.li]: R.face });
    rig.net.pressSos(T.li);
    const [opened] = await rig.alarmStarts('sos');
    expect(opened!.alarm).toMatchObject({ tag: T.li, area: 'heading-face', reader: R.face });
    expect(rig.engine.person(T.li)!.sos).toBe(true);
    rig.engine.clearAlarm(`sos:${T.li}`, 'dispatch-zhang');
    await rig.alarmEnds('sos');
  });

  it('low card battery', async () => {
    const rig = await start();
    await rig.place({ [T.li]: R.face });
    rig.net.setLowBattery(T.li);
    await rig.alarmStarts('low-battery');
    rig.net.setLowBattery(T.li, false);
    await rig.alarmEnds('low-battery');
  });

  it('card not seen while underground (lost card / dead battery)', async () => {
    const rig = await start();
    await rig.place({ [T.li]: R.face, [T.wang]: R.face });
    rig.net.silence(T.li);
    const [opened] = await rig.alarmStarts('lost-card');
    expect(opened!.alarm).toMatchObject({ tag: T.li, area: 'heading-face', reader: R.face });
    // 王强's card keeps reporting through the same reader: not lost.
    expect(rig.engine.alarms().filter((a) => a.kind === 'lost-card').map((a) => a.tag)).toEqual([T.li]);
    rig.net.silence(T.li, false);
    await rig.alarmEnds('lost-card');
  });

  it('a reader going silent is reported, and does not make its cards "lost"', async () => {
    const rig = await start();
    await rig.place({ [T.li]: R.face });
    rig.net.readerOffline(R.face);
    const [opened] = await rig.alarmStarts('reader-offline');
    expect(opened!.alarm).toMatchObject({ reader: R.face, area: 'heading-face' });
    // Past the lost-card limit (60 s = 0.6 real s) with the reader down.
    await waitFor(() => rig.clock.mono() - opened!.monoTime > 90_000, { what: '90 s of gateway time' });
    expect(rig.engine.alarms().filter((a) => a.kind === 'lost-card')).toEqual([]);
    rig.net.readerOffline(R.face, false);
    await rig.alarmEnds('reader-offline');
  });

  it('a shaft-mouth reader dead from power-up is offline within its limit: a reader-offline alarm naming it, the other stations online', async () => {
    const rig = await start({ deadReaders: [R.shaftOuter] });
    const [opened] = await rig.alarmStarts('reader-offline');
    expect(opened!.alarm).toMatchObject({ reader: R.shaftOuter });
    expect(opened!.alarm!.message).toMatch(/\(reader 1\) is offline/);
    // Within its limit (50 s of gateway time) plus one check period (20 real ms = 2 s) and the engine tick.
    const after = opened!.monoTime - rig.openedAtMono;
    expect(after).toBeGreaterThanOrEqual(OFFLINE_AFTER_MS);
    expect(after).toBeLessThanOrEqual(OFFLINE_AFTER_MS + 5_000);
    // The readers that are there are online; only the dead one is reported.
    expect(rig.engine.stations().filter((s) => s.state !== 'online').map((s) => [s.reader, s.state])).toEqual([[R.shaftOuter, 'offline']]);
    expect(rig.engine.alarms().filter((a) => a.kind === 'reader-offline').map((a) => a.reader)).toEqual([R.shaftOuter]);
  });

  it('one person with two cards underground (一人多卡)', async () => {
    const rig = await start();
    await rig.place({ [T.li]: R.face, [T.liSpare]: R.shaftBottom });
    const [opened] = await rig.alarmStarts('multiple-cards');
    expect(opened!.alarm).toMatchObject({ person: 'E0002', tags: [T.li, T.liSpare] });
    await rig.leave(T.liSpare);
    await rig.alarmEnds('multiple-cards');
  });

  it('one card at two stations faster than walking allows (cloned card)', async () => {
    const rig = await start({ travelChecks: true, alarms: { clonedCardClearMs: 30_000 } });
    await rig.place({ [T.li]: R.face });
    rig.net.cloneTag(T.li, R.shaftBottom);
    const [opened] = await rig.alarmStarts('cloned-card');
    expect(opened!.alarm!.readers!.sort()).toEqual([R.shaftBottom, R.face]);
    expect(opened!.alarm!.speedMps).toBeGreaterThan(7);
    rig.net.cloneTag(T.li, R.shaftBottom, false);
    await rig.alarmEnds('cloned-card');
  });
});

describe('evacuation driven by simulated readers over a serial line', () => {
  it('heading methane cut-off: heading sirens on, pages over the wire, list shrinks, escalation without 叫应, complete at zero', async () => {
    const rig = await start({ evacuation: { ackTimeoutMs: 60_000, recallIntervalMs: 10_000 } });
    await rig.place({ [T.li]: R.face, [T.wang]: R.face, [T.leader]: R.headingMouth, [T.electrician]: R.shaftBottom });
    const cut: SafetyEvent = {
      seq: 1,
      type: 'cut',
      rule: 'over-limit',
      key: 'over-limit:F001A01',
      point: 'F001A01',
      value: 1.62,
      outputs: ['heading-power'],
      wallTime: rig.clock.wall(),
      monoTime: rig.clock.mono(),
      message: 'F001A01 1.62 %CH4 ≥ cut-off 1.5',
    };
    const started = rig.engine.onSafetyEvent(cut)!;
    const startWall = started.startedWall;
    expect([...rig.outputs].filter(([, on]) => on).map(([id]) => id).sort()).toEqual(['heading-beacon', 'heading-siren']);
    expect(started.inside.map((p) => p.tag).sort()).toEqual([T.leader, T.li, T.wang]);

    // The pages went down the line and the readers delivered them to the cards in range.
    await waitFor(() => {
      const evacuate = rig.net.pages.filter((p) => p.mode === 'evacuate' && p.result === 'delivered').map((p) => p.tag).sort();
      return [T.leader, T.li, T.wang].every((t) => evacuate.includes(t));
    }, { timeoutMs: 5_000, what: 'evacuation pages delivered' });
    expect(rig.net.pages.some((p) => p.mode === 'call' && p.tag === T.leader && p.result === 'delivered')).toBe(true);

    // Cards leave the heading: the list shrinks.
    await rig.place({ [T.li]: R.shaftBottom });
    expect(rig.engine.evacuation()!.inside.map((p) => p.tag).sort()).toEqual([T.leader, T.wang]);
    await rig.place({ [T.wang]: R.shaftBottom });
    expect(rig.engine.evacuation()!.insideCount).toBe(1);

    // Nobody acknowledged: escalation at the limit, wider sirens, calls repeated.
    const escalated = await waitFor(() => rig.of('escalated').length === 2 && rig.of('escalated'), { timeoutMs: 5_000, what: 'escalation' });
    expect(escalated[0]!.wallTime - startWall).toBeGreaterThanOrEqual(60_000);
    expect(rig.outputs.get('level-siren')).toBe(true);
    await waitFor(() => rig.of('recall').length >= 4, { timeoutMs: 5_000, what: 'repeated calls' });

    // The leader answers with a double press on his card, then walks out.
    rig.net.pressSos(T.leader, { double: true });
    await waitFor(() => rig.engine.evacuation()!.areas.every((a) => a.acknowledged?.via === 'card'), { timeoutMs: 5_000, what: 'acknowledgement by card' });
    expect(rig.outputs.get('level-siren')).toBe(false);
    expect(rig.engine.alarms().filter((a) => a.kind === 'sos' || a.kind === 'ack-overdue')).toEqual([]);
    await rig.place({ [T.leader]: R.shaftBottom });
    const complete = await waitFor(() => rig.of('evacuation-complete')[0], { timeoutMs: 5_000, what: 'evacuation complete' });
    expect(complete).toMatchObject({ inside: 0, count: 3 });
    expect(rig.engine.evacuation()!.evacuees.every((e) => e.exitWall !== null && e.exitWall >= startWall)).toBe(true);
    expect(rig.outputs.get('heading-siren')).toBe(true);
  });
});
