import { describe, expect, it } from 'vitest';
import type { SafetyCommandError } from '../../edge/safety/errors.js';
import { runningRig } from './rig.js';

describe('remote cut (异地断电)', () => {
  const order = { id: 'RC-7', zones: ['heading'], authority: 'dispatch', operator: 'dispatcher.chen', reason: 'gas spreading from 3101 return', durationMs: 600_000 };

  function code(fn: () => void): string {
    try {
      fn();
    } catch (err) {
      return (err as SafetyCommandError).code;
    }
    return 'accepted';
  }

  it('cuts the named zones with reason, operator and authority recorded, and releases only by the same authority', () => {
    const rig = runningRig();
    rig.engine.remoteCut(order, rig.now);
    rig.step();
    expect(rig.decision('heading-power').holds).toEqual(['remote-cut:RC-7']);
    expect(rig.eventsOf('remote-cut')[0]).toMatchObject({ operator: 'dispatcher.chen', authority: 'dispatch', reason: 'gas spreading from 3101 return', outputs: ['heading-power'] });
    expect(rig.engine.holds()[0]).toMatchObject({ operator: 'dispatcher.chen', authority: 'dispatch' });

    expect(code(() => rig.engine.remoteRelease({ id: 'RC-7', authority: 'safety-office', operator: 'x' }, rig.now))).toBe('WRONG_AUTHORITY');
    rig.step();
    expect(rig.energized('heading-power')).toBe(false);
    expect(rig.eventsOf('remote-refused')).toHaveLength(1);

    expect(code(() => rig.engine.remoteRelease({ id: 'RC-7', authority: 'dispatch', operator: 'dispatcher.liu' }, rig.now))).toBe('accepted');
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.eventsOf('remote-release')[0]).toMatchObject({ operator: 'dispatcher.liu', authority: 'dispatch' });
  });

  it('expires on its own', () => {
    const rig = runningRig();
    rig.engine.remoteCut({ ...order, durationMs: 5000 }, rig.now);
    rig.run(4);
    expect(rig.energized('heading-power')).toBe(false);
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.eventsOf('remote-expired')).toHaveLength(1);
  });

  it('does not release power that another rule still holds', () => {
    const rig = runningRig();
    rig.engine.remoteCut(order, rig.now);
    rig.set({ 'CH4-T2': 1.2 }).step();
    rig.engine.remoteRelease({ id: 'RC-7', authority: 'dispatch', operator: 'dispatcher.chen' }, rig.now);
    rig.step();
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-T2']);
  });

  it('refuses unknown authorities, unknown targets, missing reasons, over-long durations and duplicates', () => {
    const rig = runningRig();
    expect(code(() => rig.engine.remoteCut({ ...order, authority: 'someone' }, rig.now))).toBe('UNKNOWN_AUTHORITY');
    expect(code(() => rig.engine.remoteCut({ ...order, zones: ['nowhere'] }, rig.now))).toBe('UNKNOWN_TARGET');
    expect(code(() => rig.engine.remoteCut({ ...order, zones: [], outputs: ['siren'] }, rig.now))).toBe('UNKNOWN_TARGET');
    expect(code(() => rig.engine.remoteCut({ ...order, reason: ' ' }, rig.now))).toBe('INVALID_COMMAND');
    expect(code(() => rig.engine.remoteCut({ ...order, durationMs: 2 * 86_400_000 }, rig.now))).toBe('INVALID_COMMAND');
    expect(code(() => rig.engine.remoteRelease({ id: 'nope', authority: 'dispatch', operator: 'x' }, rig.now))).toBe('UNKNOWN_COMMAND');
    rig.step();
    expect(rig.energized('heading-power')).toBe(true);
    rig.engine.remoteCut(order, rig.now);
    expect(code(() => rig.engine.remoteCut(order, rig.now))).toBe('DUPLICATE_COMMAND');
  });

  it('can cut single outputs and triggers the evacuation link only when configured to', () => {
    const rig = runningRig();
    rig.engine.remoteCut({ ...order, zones: [], outputs: ['upstream-power'] }, rig.now);
    rig.step();
    expect(rig.energized('upstream-power')).toBe(false);
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('evacuation')).toBe(false);
  });
});
