import { describe, expect, it } from 'vitest';
import { headingConfig, runningRig } from './rig.js';

describe('feed verification (馈电, AQ 1029-2019 §7.12; abnormality 003)', () => {
  it('a healthy switch: the load side goes dead after the cut, no abnormality', () => {
    const rig = runningRig();
    rig.set({ 'CH4-T1': 1.6 }).run(5);
    expect(rig.eventsOf('feed-abnormal')).toEqual([]);
    expect(rig.energized('upstream-power')).toBe(true);
  });

  it('load side still live 2 s after the cut → 馈电异常 event, alarm, and escalation to the upstream output', () => {
    const rig = runningRig();
    rig.feedFollowsOutput = false;
    rig.set({ 'FEED-1': 1, 'CH4-T1': 1.6 }).step();
    expect(rig.energized('heading-power')).toBe(false);
    rig.step(1000);
    expect(rig.eventsOf('feed-abnormal')).toEqual([]);
    rig.step(1000);
    expect(rig.eventsOf('feed-abnormal')).toHaveLength(1);
    expect(rig.eventsOf('feed-abnormal')[0]).toMatchObject({ abnormality: '003', point: 'FEED-1', outputs: ['heading-power'], value: 1 });
    expect(rig.alarmKeys()).toContain('feed:heading-power');
    expect(rig.energized('upstream-power')).toBe(false);
    expect(rig.decision('upstream-power').holds).toEqual(['feed-escalation:heading-power']);
    // With the upstream cut the feed reads dead, but that proves nothing about the stuck switch.
    rig.set({ 'FEED-1': 0 }).run(3);
    expect(rig.energized('upstream-power')).toBe(false);
    // Once the heading may be energised again, the escalation is no longer needed.
    rig.set({ 'CH4-T1': 0.3 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('upstream-power')).toBe(true);
    expect(rig.alarmKeys()).not.toContain('feed:heading-power');
    expect(rig.eventsOf('feed-restored')).toHaveLength(1);
  });

  it('an unreadable feed point after a cut is unverifiable: alarm and (by default) escalation', () => {
    const rig = runningRig();
    rig.feedFollowsOutput = false;
    rig.set({ 'CH4-T1': 1.6 }).step();
    rig.quality('FEED-1', 'comm-fault').run(2);
    expect(rig.eventsOf('feed-abnormal')[0]!.message).toContain('cannot be verified');
    expect(rig.energized('upstream-power')).toBe(false);
  });

  it('escalateWhenUnverified: false keeps the upstream on for an unreadable feed, but not for a live one', () => {
    const config = headingConfig();
    config.outputs[0] = { ...config.outputs[0]!, escalateWhenUnverified: false };
    const rig = runningRig(config);
    rig.feedFollowsOutput = false;
    rig.set({ 'CH4-T1': 1.6 }).step();
    rig.quality('FEED-1', 'comm-fault').run(3);
    expect(rig.energized('upstream-power')).toBe(true);
    expect(rig.alarmKeys()).toContain('feed:heading-power');
    rig.set({ 'FEED-1': 1 }).step();
    expect(rig.energized('upstream-power')).toBe(false);
  });

  it('load side dead while power is permitted is reported once, without cutting anything', () => {
    const rig = runningRig();
    rig.feedFollowsOutput = false;
    rig.set({ 'FEED-1': 0 }).run(5);
    expect(rig.eventsOf('feed-dead')).toHaveLength(1);
    expect(rig.eventsOf('feed-dead')[0]).toMatchObject({ outputs: ['heading-power'], point: 'FEED-1' });
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.energized('upstream-power')).toBe(true);
    expect(rig.alarmKeys()).toEqual([]);
  });

  it('uses a per-output feed timeout', () => {
    const config = headingConfig();
    config.outputs[0] = { ...config.outputs[0]!, feedTimeoutMs: 5000 };
    const rig = runningRig(config);
    rig.feedFollowsOutput = false;
    rig.set({ 'FEED-1': 1, 'CH4-T1': 1.6 }).step();
    const cutAt = rig.now;
    rig.run(4);
    expect(rig.eventsOf('feed-abnormal')).toEqual([]);
    rig.step();
    expect(rig.now - cutAt).toBe(5000);
    expect(rig.eventsOf('feed-abnormal')).toHaveLength(1);
  });
});
