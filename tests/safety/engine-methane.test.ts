import { describe, expect, it } from 'vitest';
import { headingConfig, Rig, runningRig } from './rig.js';

describe('methane over-limit alarm, cut-off and restore (AQ 1029-2019 table, interlock clauses a/b)', () => {
  it('runs normally: power permitted, no alarm, siren and beacon off', () => {
    const rig = runningRig();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.energized('siren')).toBe(false);
    expect(rig.energized('beacon')).toBe(false);
    expect(rig.alarmKeys()).toEqual([]);
  });

  it('alarms at 1.0 %, cuts the heading at 1.5 %, holds at 1.2 % and restores below 1.0 %', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.0 }).step();
    expect(rig.alarmKeys()).toEqual(['over-limit:CH4-T1']);
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('siren')).toBe(true);
    expect(rig.energized('beacon')).toBe(true);

    rig.set({ 'CH4-T1': 1.5 }).step();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T1']);
    // The fan keeps ventilating: a methane cut of the heading never stops it.
    expect(rig.energized('fan-power')).toBe(true);
    const cut = rig.eventsOf('cut')[0]!;
    expect(cut).toMatchObject({ rule: 'over-limit', point: 'CH4-T1', value: 1.5, threshold: 1.5, outputs: ['heading-power'], abnormality: '002' });
    expect(cut.clause).toContain('AQ 1029-2019');
    expect(cut.wallTime).toBe(rig.wallOffset + rig.now);

    rig.set({ 'CH4-T1': 1.2 }).run(5);
    expect(rig.energized('heading-power')).toBe(false);
    rig.set({ 'CH4-T1': 0.99 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.alarmKeys()).toEqual([]);
    expect(rig.eventsOf('release').at(-1)).toMatchObject({ rule: 'over-limit', point: 'CH4-T1', value: 0.99, threshold: 1.0 });
    expect(rig.eventsOf('power-on').at(-1)).toMatchObject({ outputs: ['heading-power'] });
  });

  it('T2 cuts at 1.0 %; power returns only when no other hold remains', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.6, 'CH4-T2': 1.0 }).step();
    expect(rig.decision('heading-power').holds.sort()).toEqual(['over-limit:CH4-T1', 'over-limit:CH4-T2']);
    rig.set({ 'CH4-T1': 0.5 }).step();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.eventsOf('release').at(-1)!.message).toContain('still held by other rules');
    rig.set({ 'CH4-T2': 0.6 }).step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('calibrating values still drive alarms and cuts', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 2.0 }, 'calibrating').step();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.alarmKeys()).toContain('over-limit:CH4-T1');
  });

  it('an over-range value above the cutoff cuts (and locks out), and never counts as a release', () => {
    const rig = runningRig();
    rig.quality('CH4-T1', 'over-range', 4.2).step();
    expect(rig.decision('heading-power').holds.sort()).toEqual(['fault-lockout:CH4-T1', 'over-limit:CH4-T1']);
    rig.quality('CH4-T1', 'over-range', 0.1).step();
    expect(rig.decision('heading-power').holds).toContain('over-limit:CH4-T1');
  });

  it('a stale reading never releases a cut: the old low value is not trusted', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.6 }).step();
    rig.quality('CH4-T1', 'stale', 0.2).step();
    expect(rig.decision('heading-power').holds.sort()).toEqual(['fault-lockout:CH4-T1', 'over-limit:CH4-T1']);
  });

  it('acknowledge silences the siren but not the beacon; a new alarm sounds again', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.1 }).step();
    rig.engine.acknowledge('duty.wang', rig.now);
    rig.step();
    expect(rig.energized('siren')).toBe(false);
    expect(rig.energized('beacon')).toBe(true);
    expect(rig.eventsOf('acknowledge')[0]).toMatchObject({ operator: 'duty.wang' });
    rig.set({ 'CH4-T2': 1.1 }).step();
    expect(rig.energized('siren')).toBe(true);
  });

  it('asks for accelerated polling of the alarming point and its zone neighbours', () => {
    const rig = runningRig();
    expect(rig.last!.fastPollDevices).toEqual([]);
    rig.set({ 'CH4-T1': 1.1 }).step();
    expect(rig.last!.fastPollDevices).toEqual(['ch4-fan', 'ch4-t1', 'ch4-t2']);
    rig.set({ 'CH4-T1': 0.3 }).step();
    expect(rig.last!.fastPollDevices).toEqual([]);
  });

  it('switches the evacuation link on while a methane cut-off is active', () => {
    const rig = runningRig();
    expect(rig.energized('evacuation')).toBe(false);
    rig.set({ 'CH4-T1': 1.6 }).step();
    expect(rig.energized('evacuation')).toBe(true);
    expect(rig.eventsOf('evacuation-on')).toHaveLength(1);
    rig.set({ 'CH4-T1': 0.5 }).step();
    expect(rig.energized('evacuation')).toBe(false);
  });

  it('toggles the heartbeat output every evaluation (it stops when the loop stalls)', () => {
    const rig = runningRig();
    const beats = [1, 2, 3, 4].map(() => rig.step().outputs.find((o) => o.output === 'heartbeat')!.energize);
    expect(beats).toEqual([beats[0], !beats[0], beats[0], !beats[0]]);
  });

  it('cuts within the same evaluation that sees the value (no debounce on the safety path)', () => {
    const rig = new Rig(headingConfig());
    rig.evaluate();
    rig.step();
    const t0 = performance.now();
    rig.set({ 'CH4-T1': 1.7 }).step();
    const ms = performance.now() - t0;
    expect(rig.energized('heading-power')).toBe(false);
    expect(ms).toBeLessThan(50);
  });
});
