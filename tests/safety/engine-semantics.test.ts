// Engine-level tests of the safety-semantics rules: nothing but positive evidence (a good reading,
// or a safety officer's recorded confirmation) ever puts power back on.
import { describe, expect, it } from 'vitest';
import type { PersistedHold } from '../../edge/safety/holds.js';
import { headingConfig, Rig, runningRig } from './rig.js';

describe('calibration never releases', () => {
  it('after a 1.6 % cut one calibrating reading of 0.0 keeps the zone cut; a good one below restore releases', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.6 }).step();
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T1']);
    rig.set({ 'CH4-T1': 0.0 }, 'calibrating').run(5);
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T1']);
    expect(rig.alarmKeys()).toContain('over-limit:CH4-T1');
    rig.set({ 'CH4-T1': 0.2 }).step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('60 s of calibrating readings do not lift a fault lockout; 60 s of good ones do', () => {
    const rig = runningRig();
    rig.quality('CH4-T2', 'sensor-fault').step();
    rig.set({ 'CH4-T2': 0.2 }, 'calibrating').run(90);
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:CH4-T2']);
    rig.set({ 'CH4-T2': 0.2 }).run(60);
    expect(rig.energized('heading-power')).toBe(false);
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('a calibrating restart-point reading never permits a fan restart', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-FAN': 0.9 }).step();
    expect(rig.decision('fan-power').holds).toContain('fan-restart:fan1');
    rig.set({ 'CH4-FAN': 0.1 }, 'calibrating').run(3);
    expect(rig.decision('fan-power').holds).toContain('fan-restart:fan1');
    rig.set({ 'CH4-FAN': 0.1 }).step();
    expect(rig.decision('fan-power').holds).not.toContain('fan-restart:fan1');
  });

  it('a calibrating reading does not release the cold-start hold', () => {
    const rig = new Rig();
    rig.set({ 'CH4-T1': 0.2 }, 'calibrating').evaluate();
    rig.step();
    expect(rig.decision('heading-power').holds).toEqual(['startup:restart']);
    rig.set({ 'CH4-T1': 0.2 }).step();
    expect(rig.energized('heading-power')).toBe(true);
  });
});

describe('engine failure: the fail-safe state per kind of output', () => {
  it('power cut, the local fan kept as last decided, siren/beacon/evacuation on, heartbeat frozen', () => {
    const rig = runningRig();
    rig.step();
    const beat = rig.decision('heartbeat').energize;
    const byId = new Map(rig.engine.failSafeOutputs().map((d) => [d.output, d]));
    expect(byId.get('heading-power')).toMatchObject({ energize: false, holds: ['engine-failure'] });
    expect(byId.get('upstream-power')).toMatchObject({ energize: false, holds: ['engine-failure'] });
    expect(byId.get('fan-power')).toMatchObject({ energize: true, holds: [] });
    for (const id of ['siren', 'beacon', 'evacuation']) expect(byId.get(id)!.energize).toBe(true);
    expect(byId.get('heartbeat')!.energize).toBe(beat);
  });

  it('a local fan the interlocks had cut stays cut (no proof it may run)', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.5 }).step();
    expect(rig.energized('fan-power')).toBe(false);
    expect(rig.engine.failSafeOutputs().find((d) => d.output === 'fan-power')).toMatchObject({ energize: false, holds: ['engine-failure'] });
  });
});

describe('warm start (config reload) has a start-up hold of its own', () => {
  it('a stale or never-read gas point cuts its zone at the first evaluation (no 30 s grace)', () => {
    const rig = new Rig(headingConfig(), { warmStart: true });
    rig.quality('CH4-T1', 'stale', 0.2).evaluate();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.decision('heading-power').holds).toEqual(['startup:restart']);
    // Nothing else governs upstream power: it stays on (no power cycle from the reload itself).
    expect(rig.energized('upstream-power')).toBe(true);
    rig.set({ 'CH4-T1': 0.2 }).step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('with every governing point good and fresh, outputs stay on through the reload', () => {
    const rig = new Rig(headingConfig(), { warmStart: true });
    rig.evaluate();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.eventsOf('power-off')).toEqual([]);
  });

  it('a point that goes stale right after the reload cuts at once, not after the grace period', () => {
    const rig = new Rig(headingConfig(), { warmStart: true });
    rig.evaluate();
    rig.quality('CH4-T2', 'stale', 0.2).step();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.decision('heading-power').holds).toContain('fault-lockout:CH4-T2');
  });
});

describe('manual fan unlock needs proof the lock condition is gone (clause e)', () => {
  it('T1 comm-fault after a 3.5 % lock: unlock refused; good readings ≤ 3.0 %: accepted', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.5 }).step();
    expect(rig.engine.fanLocked('fan1')).toBe(true);
    rig.quality('CH4-T1', 'comm-fault').step();
    expect(() => rig.engine.manualUnlock({ fan: 'fan1', operator: 'zhang.wei' }, rig.now)).toThrow(/not proven gone: CH4-T1 unreadable/);
    expect(rig.engine.fanLocked('fan1')).toBe(true);
    rig.set({ 'CH4-T1': 2.0 }, 'calibrating').step();
    expect(() => rig.engine.manualUnlock({ fan: 'fan1', operator: 'zhang.wei' }, rig.now)).toThrow(/calibrating: proves nothing/);
    rig.set({ 'CH4-T1': 2.0 }).step();
    rig.engine.manualUnlock({ fan: 'fan1', operator: 'zhang.wei' }, rig.now);
    expect(rig.engine.fanLocked('fan1')).toBe(false);
  });
});

describe('a restart with an edited config keeps holds it no longer explains', () => {
  const t9Hold: PersistedHold = { output: 'heading-power', key: 'over-limit:CH4-T9', rule: 'over-limit', subject: 'CH4-T9', point: 'CH4-T9', reason: 'CH4-T9 1.8 % ≥ cutoff 1.5 %', clause: 'AQ 1029-2019', sinceWall: 1 };
  const goneOutput: PersistedHold = { output: 'old-power', key: 'remote-cut:order-7', rule: 'remote-cut', subject: 'order-7', reason: 'dispatch order 7', clause: 'AQ 6201-2019 §4.7.5', sinceWall: 1, expiresWall: Date.now() + 3_600_000, authority: 'dispatch', operator: 'li' };

  it('keeps the hold (zone cut), alarms and says how to confirm; only the confirmation drops it', () => {
    const rig = new Rig();
    rig.engine.restore({ loadHolds: () => [t9Hold, goneOutput] }, 0);
    rig.evaluate();
    rig.run(5);
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T9']);
    expect(rig.alarmKeys()).toContain('unconfirmed-holds');
    expect(rig.eventsOf('holds-unconfirmed')[0]!.message).toMatch(/over-limit:CH4-T9 on heading-power .*remote-cut:order-7 on old-power .*minegate reload --user/);
    // Still on record for the next restart, including the hold on the output the config lacks.
    expect(rig.engine.persistedHolds().map((h) => h.key).sort()).toEqual(['over-limit:CH4-T9', 'remote-cut:order-7']);
    expect(rig.engine.confirmUnconfirmedHolds({ operator: 'chief', reason: 'T9 removed by design change 12' }, rig.now)).toBe(2);
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.alarmKeys()).not.toContain('unconfirmed-holds');
    expect(rig.eventsOf('holds-confirmed')[0]).toMatchObject({ operator: 'chief', reason: 'T9 removed by design change 12' });
    expect(rig.engine.persistedHolds()).toEqual([]);
  });
});

describe('an output found in a state it was not commanded to (override)', () => {
  it('raises output-overridden with device, channel and how long; the alarm ends when acknowledged after the correction', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.6 }).step();
    rig.engine.reportActuation([{ output: 'heading-power', energize: false, confirmed: true, overridden: { found: true, lastSeenAgoMs: 800 } }], rig.now);
    rig.step();
    const e = rig.eventsOf('output-overridden')[0]!;
    expect(e.message).toBe('relay-1 coil0 (heading-power) found ON while commanded OFF; last seen as commanded 800 ms earlier; rewritten and confirmed');
    expect(e.value).toBe(800);
    const alarm = rig.last!.alarms.find((a) => a.key === 'override:heading-power')!;
    expect(alarm).toMatchObject({ kind: 'output-overridden', severity: 'danger', point: 'FEED-1' });
    expect(rig.energized('siren')).toBe(true);
    rig.engine.reportActuation([{ output: 'heading-power', energize: false, confirmed: true }], rig.now);
    rig.engine.acknowledge('zhang.wei', rig.now);
    rig.step();
    expect(rig.alarmKeys()).not.toContain('override:heading-power');
  });
});
