import { describe, expect, it } from 'vitest';
import type { Quality } from '../../core/readings.js';
import { headingConfig, Rig, runningRig } from './rig.js';

describe('fault lockout (故障闭锁, interlock clause f)', () => {
  it.each<[Quality, string]>([
    ['comm-fault', '006'],
    ['sensor-fault', '004'],
    ['stale', '006'],
    ['over-range', '008'],
  ])('%s on a gas point holds its range and alarms (abnormality %s)', (quality, abnormality) => {
    const rig = runningRig();
    rig.quality('CH4-T2', quality).step();
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:CH4-T2']);
    expect(rig.alarmKeys()).toEqual(['fault:CH4-T2']);
    expect(rig.eventsOf('lockout').at(-1)).toMatchObject({ rule: 'fault-lockout', point: 'CH4-T2', outputs: ['heading-power'], abnormality });
  });

  it('a missing point (no reading at all) is a fault too', () => {
    const rig = runningRig();
    rig.missing('CH4-T1').step();
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:CH4-T1']);
  });

  it('a reading source that throws is a missing reading, not a crash', () => {
    const rig = runningRig();
    const result = rig.engine.evaluate((code) => {
      if (code === 'CH4-T1') throw new RangeError('unknown point');
      return rig.reading(code);
    }, rig.now + 1000);
    expect(result.outputs.find((o) => o.output === 'heading-power')!.holds).toEqual(['fault-lockout:CH4-T1']);
  });

  it('an illegal switch value (not 0/1) on a feed or fan sensor is a fault', () => {
    const rig = runningRig();
    rig.set({ 'FAN-RUN': 2 }).step();
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:FAN-RUN']);
  });

  it('keeps the hold for 60 s of continuous good readings after recovery; a relapse restarts the count', () => {
    const rig = runningRig();
    rig.quality('CH4-T1', 'comm-fault').step();
    rig.set({ 'CH4-T1': 0.2 }).run(30);
    expect(rig.energized('heading-power')).toBe(false);
    rig.quality('CH4-T1', 'comm-fault').step();
    rig.set({ 'CH4-T1': 0.2 }).step();
    const firstGood = rig.now;
    while (rig.now < firstGood + 59_000) rig.step();
    expect(rig.energized('heading-power')).toBe(false);
    rig.step();
    expect(rig.now - firstGood).toBe(60_000);
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.alarmKeys()).toEqual([]);
    expect(rig.eventsOf('release').at(-1)).toMatchObject({ rule: 'fault-lockout', message: 'CH4-T1 read normally for 60 s' });
  });

  it('uses the configured hold time', () => {
    const rig = runningRig(headingConfig({ faultLockoutHoldMs: 5_000 }));
    rig.quality('CH4-T1', 'sensor-fault').step();
    rig.set({ 'CH4-T1': 0.2 }).run(5);
    expect(rig.energized('heading-power')).toBe(false);
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
  });

  it('a feed sensor fault holds the output it verifies', () => {
    const rig = runningRig();
    rig.quality('FEED-1', 'sensor-fault').step();
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:FEED-1']);
    expect(rig.energized('upstream-power')).toBe(true);
  });

  it('after start, a point not read within one patrol cycle (30 s) becomes a fault', () => {
    const rig = new Rig();
    rig.missing('CH4-T2');
    rig.evaluate();
    rig.run(29);
    expect(rig.alarmKeys()).not.toContain('fault:CH4-T2');
    expect(rig.decision('heading-power').holds).toEqual(['startup:restart']);
    rig.step();
    expect(rig.alarmKeys()).toContain('fault:CH4-T2');
    expect(rig.decision('heading-power').holds.sort()).toEqual(['fault-lockout:CH4-T2', 'startup:restart']);
  });
});
