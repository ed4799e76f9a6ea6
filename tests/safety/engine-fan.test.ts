import { describe, expect, it } from 'vitest';
import { SafetyCommandError } from '../../edge/safety/errors.js';
import { headingConfig, runningRig } from './rig.js';

describe('methane-wind-power interlock (AQ 6201 clauses d, e, f)', () => {
  it('clause d: a stopped local fan cuts the area it ventilates; running again releases it', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0 }).step();
    expect(rig.decision('heading-power').holds).toEqual(['fan-stopped:fan1']);
    expect(rig.alarmKeys()).toContain('fan-stopped:fan1');
    expect(rig.eventsOf('cut').at(-1)).toMatchObject({ rule: 'fan-stopped', outputs: ['heading-power'] });
    expect(rig.eventsOf('cut').at(-1)!.clause).toContain('clause d');
    rig.set({ 'FAN-RUN': 1 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.alarmKeys()).toEqual([]);
  });

  it('clause d: duct airflow below its set value cuts the ventilated area until it recovers', () => {
    const rig = runningRig();
    rig.set({ 'FAN-AIR': 120 }).step();
    expect(rig.decision('heading-power').holds).toEqual(['duct-airflow-low:fan1']);
    expect(rig.energized('fan-power')).toBe(true);
    rig.set({ 'FAN-AIR': 160 }).step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('clause e: fan stopped and T1 > 3.0 % locks the fan; released automatically below 1.5 %', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.2, 'CH4-FAN': 0.2 }).step();
    expect(rig.energized('fan-power')).toBe(false);
    expect(rig.decision('fan-power').holds).toEqual(['fan-lock:fan1']);
    expect(rig.engine.fanLocked('fan1')).toBe(true);
    expect(rig.eventsOf('lockout').at(-1)).toMatchObject({ rule: 'fan-lock', point: 'CH4-T1', value: 3.2, threshold: 3.0 });
    // Still above the release value: stays locked.
    rig.set({ 'CH4-T1': 1.6 }).run(3);
    expect(rig.energized('fan-power')).toBe(false);
    rig.set({ 'CH4-T1': 1.4 }).step();
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.engine.fanLocked('fan1')).toBe(false);
    expect(rig.eventsOf('release').at(-1)).toMatchObject({ rule: 'fan-lock' });
  });

  it('clause e: exactly 3.0 % does not lock (the clause says "greater than"); a running fan never locks', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T2': 3.5 }).step();
    expect(rig.engine.fanLocked('fan1')).toBe(false);
    expect(rig.energized('fan-power')).toBe(true);
    rig.set({ 'CH4-T2': 3.0, 'FAN-RUN': 0 }).step();
    expect(rig.engine.fanLocked('fan1')).toBe(false);
  });

  it('clause e: a stopped fan with an unreadable T1 is locked (unknown counts as dangerous)', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0 }).quality('CH4-T1', 'comm-fault').step();
    expect(rig.engine.fanLocked('fan1')).toBe(true);
  });

  it('manual unlock: only an authorised operator, recorded by name, and never while the condition is proven', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.2 }).step();
    const refused = (operator: string) => {
      try {
        rig.engine.manualUnlock({ fan: 'fan1', operator }, rig.now);
      } catch (err) {
        return (err as SafetyCommandError).code;
      }
      return 'accepted';
    };
    expect(refused('li.si')).toBe('NOT_AUTHORISED');
    expect(refused('zhang.wei')).toBe('LOCK_CONDITION_ACTIVE');
    expect(rig.engine.fanLocked('fan1')).toBe(true);
    rig.set({ 'CH4-T1': 2.0 }).step();
    expect(refused('zhang.wei')).toBe('accepted');
    rig.step();
    expect(rig.engine.fanLocked('fan1')).toBe(false);
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.eventsOf('unlock')[0]).toMatchObject({ operator: 'zhang.wei', rule: 'fan-lock', outputs: ['fan-power'] });
    expect(rig.eventsOf('unlock-refused').map((e) => e.operator)).toEqual(['li.si', 'zhang.wei']);
    // The lock re-arms once its condition has cleared and then returns.
    rig.set({ 'FAN-RUN': 1 }).step();
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.3 }).step();
    expect(rig.engine.fanLocked('fan1')).toBe(true);
  });

  it('manual unlock of a fan that is not locked is refused', () => {
    const rig = runningRig();
    expect(() => rig.engine.manualUnlock({ fan: 'fan1', operator: 'zhang.wei' }, rig.now)).toThrow(expect.objectContaining({ code: 'NOT_LOCKED' }));
    expect(() => rig.engine.manualUnlock({ fan: 'fan9', operator: 'zhang.wei' }, rig.now)).toThrow(expect.objectContaining({ code: 'UNKNOWN_TARGET' }));
  });

  it('restart permit: a stopped fan may restart only with ≤ 0.5 % at the fan and its switch', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 0, 'CH4-FAN': 0.6 }).step();
    expect(rig.decision('fan-power').holds).toEqual(['fan-restart:fan1']);
    rig.set({ 'CH4-FAN': 0.5 }).step();
    expect(rig.energized('fan-power')).toBe(true);
    // An unreadable fan-side sensor withholds the permit as well.
    rig.set({ 'FAN-RUN': 1 }).step();
    rig.set({ 'FAN-RUN': 0 }).quality('CH4-FAN', 'sensor-fault').step();
    expect(rig.decision('fan-power').holds).toEqual(['fan-restart:fan1']);
  });

  it('clause f: fault lockout never cuts the local fan, whichever sensor fails', () => {
    const rig = runningRig();
    rig.quality('FAN-RUN', 'sensor-fault').quality('CH4-T1', 'comm-fault').quality('FAN-AIR', 'stale').quality('CH4-FAN', 'sensor-fault').step();
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.decision('heading-power').holds.sort()).toEqual(['fault-lockout:CH4-FAN', 'fault-lockout:CH4-T1', 'fault-lockout:FAN-AIR', 'fault-lockout:FAN-RUN']);
  });

  it('a fan with no fanOutput still alarms on the lock condition', () => {
    const config = headingConfig();
    const fan = (config.safety as { localFans: Record<string, unknown>[] }).localFans[0]!;
    delete fan.fanOutput;
    const rig = runningRig(config);
    rig.set({ 'FAN-RUN': 0, 'CH4-T1': 3.4 }).step();
    expect(rig.alarmKeys()).toContain('fan-lock:fan1');
    expect(rig.eventsOf('lockout').at(-1)!.message).toContain('alarm only');
    expect(rig.energized('fan-power')).toBe(true);
  });
});

describe('local-fan interlock at start-up', () => {
  it('a stopped fan is not locked just because T1 has not been polled yet', async () => {
    const { Rig } = await import('./rig.js');
    const rig = new Rig();
    rig.missing('CH4-T1').set({ 'FAN-RUN': 0 });
    rig.evaluate();
    rig.step();
    expect(rig.engine.fanLocked('fan1')).toBe(false);
    expect(rig.eventsOf('lockout')).toEqual([]);
    // Still unread after one patrol cycle: now it counts as unknown, i.e. dangerous.
    rig.run(30);
    expect(rig.engine.fanLocked('fan1')).toBe(true);
  });
});
