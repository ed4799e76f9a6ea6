// Heading T3 second stage (≥ 1.5 %CH4 also cuts the local fan, restore < 0.5 %) and interlock
// clause g (automatic main/standby local-fan switchover), on the engine with a virtual clock.
import { describe, expect, it } from 'vitest';
import type { PointConfig } from '../../board-configs/schema.js';
import { resolveThresholds } from '../../edge/safety/thresholds.js';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import { SafetyCommandError } from '../../edge/safety/errors.js';
import { headingConfig, Rig, runningRig } from './rig.js';

describe('series heading T3, second stage: the local fan is cut too', () => {
  it('0.5 % cuts the heading only; 1.5 % cuts the local fan as well, until below 0.5 %', () => {
    const rig = runningRig();
    rig.set({ 'CH4-FAN': 0.6 }).step();
    expect(rig.decision('heading-power').holds).toEqual(['over-limit:CH4-FAN']);
    expect(rig.energized('fan-power')).toBe(true);

    rig.set({ 'CH4-FAN': 1.5 }).step();
    expect(rig.decision('fan-power').holds).toEqual(['fan-cutoff:CH4-FAN']);
    const cut = rig.eventsOf('cut').find((e) => e.rule === 'fan-cutoff')!;
    expect(cut).toMatchObject({ point: 'CH4-FAN', value: 1.5, threshold: 1.5, outputs: ['fan-power'], abnormality: '002' });
    expect(cut.clause).toContain('heading.T3');
    expect(cut.clause).toContain('second stage');

    // The fan runs down; its restart permit is withheld too (1.5 % at the fan is over 0.5 %).
    rig.set({ 'FAN-RUN': 0 }).step();
    expect(rig.decision('fan-power').holds.sort()).toEqual(['fan-cutoff:CH4-FAN', 'fan-restart:fan1']);
    rig.set({ 'CH4-FAN': 0.6 }).run(3);
    expect(rig.decision('fan-power').holds).toContain('fan-cutoff:CH4-FAN');
    rig.set({ 'CH4-FAN': 0.4 }).step();
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.eventsOf('release').some((e) => e.rule === 'fan-cutoff' && e.threshold === 0.5)).toBe(true);
    // The heading stays cut while the fan is stopped (clause d).
    expect(rig.decision('heading-power').holds).toEqual(['fan-stopped:fan1']);
  });

  it('an over-range reading above the fan cut-off cuts the fan too and never releases it', () => {
    const rig = runningRig();
    rig.quality('CH4-FAN', 'over-range', 4.2).step();
    expect(rig.decision('fan-power').holds).toEqual(['fan-cutoff:CH4-FAN']);
    rig.quality('CH4-FAN', 'sensor-fault', 0.1).run(2);
    expect(rig.decision('fan-power').holds).toEqual(['fan-cutoff:CH4-FAN']);
  });

  it('a fault of the T3 sensor never cuts the fan (clause f), however long it lasts', () => {
    const rig = runningRig();
    rig.quality('CH4-FAN', 'comm-fault').run(5);
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.decision('heading-power').holds).toEqual(['fault-lockout:CH4-FAN']);
  });

  it('is configurable: a tighter fan cut-off applies, a looser one is refused naming the preset value', () => {
    const config = headingConfig();
    const t3 = config.points.find((p) => p.code === 'CH4-FAN')! as PointConfig;
    t3.thresholds = { fanCutoff: 1.2 };
    const rig = runningRig(config);
    rig.set({ 'CH4-FAN': 1.2 }).step();
    expect(rig.decision('fan-power').holds).toEqual(['fan-cutoff:CH4-FAN']);

    const looser = resolveThresholds({ ...t3, thresholds: { fanCutoff: 2.0, fanRestore: 0.8 } }, loadPresets());
    expect(looser.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('2.0 %CH4 is looser than the heading.T3 preset 1.5 %CH4'),
      expect.stringContaining('0.8 %CH4 is looser than the heading.T3 preset 0.5 %CH4'),
    ]);
  });

  it('with no local fan output in its zones the second stage is an alarm-only event', () => {
    const config = headingConfig();
    const fan = (config.safety as { localFans: Record<string, unknown>[] }).localFans[0]!;
    delete fan.fanOutput;
    delete fan.restartPoints;
    const rig = runningRig(config);
    rig.set({ 'CH4-FAN': 1.6 }).step();
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.eventsOf('cut').find((e) => e.rule === 'fan-cutoff')).toMatchObject({ outputs: [], message: expect.stringContaining('alarm only') });
  });

  it('survives a restart: the fan stays cut until the reading is below 0.5 %', () => {
    const first = runningRig();
    first.set({ 'CH4-FAN': 1.6 }).step();
    const holds = first.engine.persistedHolds();
    const second = new Rig(headingConfig());
    second.engine.restore({ loadHolds: () => holds }, 0);
    second.set({ 'CH4-FAN': 0.55 }).evaluate();
    expect(second.decision('fan-power').holds).toContain('fan-cutoff:CH4-FAN');
    second.set({ 'CH4-FAN': 0.3 }).step();
    expect(second.energized('fan-power')).toBe(true);
  });
});

/** The heading config with a standby local fan (its own run sensor and supply). */
function pairConfig(startTimeoutMs = 10_000) {
  const config = headingConfig();
  config.points.push({ code: 'FAN2-RUN', sensorType: '1001', device: 'fan-2', channel: 'state', unit: '', range: { low: 0, high: 1 }, location: 'standby fan' });
  config.outputs.push({ id: 'fan2-power', device: 'relay-1', channel: 'coil3', kind: 'power', escalateWhenUnverified: true });
  const fan = (config.safety as { localFans: Record<string, unknown>[] }).localFans[0]!;
  fan.standby = { fanOutput: 'fan2-power', runPoint: 'FAN2-RUN', startTimeoutMs };
  return config;
}

function pairRig(startTimeoutMs?: number): Rig {
  const rig = new Rig(pairConfig(startTimeoutMs));
  rig.set({ 'FAN2-RUN': 0 });
  rig.evaluate();
  rig.step();
  return rig;
}

describe('interlock clause g: main and standby local fans', () => {
  it('the standby is held off while the main fan runs', () => {
    const rig = pairRig();
    expect(rig.energized('fan-power')).toBe(true);
    expect(rig.decision('fan2-power').holds).toEqual(['fan-standby:fan1']);
    expect(rig.engine.activeFan('fan1')).toBe('main');
    expect(rig.alarmKeys()).toEqual([]);
  });

  it('the main fan stopping on its own starts the standby; the heading is cut only until it runs', () => {
    const rig = pairRig();
    rig.set({ 'FAN-RUN': 0 }).step();
    expect(rig.engine.activeFan('fan1')).toBe('standby');
    expect(rig.energized('fan2-power')).toBe(true);
    expect(rig.decision('fan-power').holds).toEqual(['fan-standby:fan1']);
    expect(rig.decision('heading-power').holds).toEqual(['fan-stopped:fan1']);
    expect(rig.eventsOf('fan-switchover')[0]).toMatchObject({ outputs: ['fan2-power'], message: expect.stringContaining('from the main to the standby fan') });
    expect(rig.eventsOf('fan-switchover')[0]!.clause).toContain('clause g');
    rig.set({ 'FAN2-RUN': 1 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.alarmKeys()).toEqual([]);
    expect(rig.eventsOf('fan-switchover').at(-1)!.message).toContain('running after the switchover');
  });

  it('a standby that does not start in time is a danger alarm, and the stopped main is not switched back to', () => {
    const rig = pairRig(5_000);
    rig.set({ 'FAN-RUN': 0 }).step();
    rig.run(4);
    expect(rig.alarmKeys()).toEqual(['fan-stopped:fan1']);
    rig.run(2);
    expect(rig.last!.alarms.find((a) => a.key === 'fan-switchover:fan1')).toMatchObject({ severity: 'danger', message: expect.stringContaining('did not report running within 5 s') });
    rig.run(10);
    expect(rig.engine.activeFan('fan1')).toBe('standby');
    expect(rig.energized('siren')).toBe(true);
  });

  it('a fan the interlocks cut is not replaced: a remote cut of the main supply does not start the standby', () => {
    const rig = pairRig();
    rig.engine.remoteCut({ id: 'RC-9', outputs: ['fan-power'], authority: 'dispatch', operator: 'chen', reason: 'switch maintenance', durationMs: 600_000 }, rig.now);
    rig.step();
    rig.set({ 'FAN-RUN': 0 }).run(3);
    expect(rig.engine.activeFan('fan1')).toBe('main');
    expect(rig.decision('fan2-power').holds).toEqual(['fan-standby:fan1']);
    expect(rig.eventsOf('fan-switchover')).toEqual([]);
  });

  it('no switchover to a standby whose restart permit is withheld (CH4 at it over 0.5 %)', () => {
    const rig = pairRig();
    rig.set({ 'CH4-FAN': 0.7 }).step();
    expect(rig.decision('fan2-power').holds.sort()).toEqual(['fan-restart:fan1.standby', 'fan-standby:fan1']);
    rig.set({ 'FAN-RUN': 0 }).step();
    expect(rig.engine.activeFan('fan1')).toBe('main');
  });

  it('switching by hand (daily test, back to a repaired main): authorised operators only, recorded', () => {
    const rig = pairRig();
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return (err as SafetyCommandError).code;
      }
      return 'accepted';
    };
    expect(code(() => rig.engine.switchLocalFan({ fan: 'fan1', to: 'standby', operator: 'li.si' }, rig.now))).toBe('NOT_AUTHORISED');
    expect(code(() => rig.engine.switchLocalFan({ fan: 'fan1', to: 'main', operator: 'zhang.wei' }, rig.now))).toBe('INVALID_COMMAND');
    expect(code(() => rig.engine.switchLocalFan({ fan: 'fan9', to: 'main', operator: 'zhang.wei' }, rig.now))).toBe('UNKNOWN_TARGET');
    expect(code(() => rig.engine.switchLocalFan({ fan: 'fan1', to: 'standby', operator: 'zhang.wei' }, rig.now))).toBe('accepted');
    rig.set({ 'FAN-RUN': 0, 'FAN2-RUN': 1 }).step();
    expect(rig.energized('fan2-power')).toBe(true);
    expect(rig.decision('fan-power').holds).toEqual(['fan-standby:fan1']);
    expect(rig.eventsOf('fan-switchover')[0]).toMatchObject({ operator: 'zhang.wei' });
    expect(rig.eventsOf('fan-switchover-refused').map((e) => e.operator)).toEqual(['li.si', 'zhang.wei', 'zhang.wei']);
  });

  it('after a restart the fan that was held off stays off', () => {
    const first = pairRig();
    first.set({ 'FAN-RUN': 0 }).step();
    first.set({ 'FAN2-RUN': 1 }).step();
    const second = new Rig(pairConfig());
    second.engine.restore({ loadHolds: () => first.engine.persistedHolds() }, 0);
    second.set({ 'FAN-RUN': 0, 'FAN2-RUN': 1 }).evaluate();
    second.step();
    expect(second.engine.activeFan('fan1')).toBe('standby');
    expect(second.energized('fan2-power')).toBe(true);
    expect(second.decision('fan-power').holds).toEqual(['fan-standby:fan1']);
  });

  it('config checks: the standby needs its own run sensor and a supply that feeds no other fan', async () => {
    const { interlockProblems } = await import('../../edge/safety/interlock-checks.js');
    const config = pairConfig();
    const fan = (config.safety as { localFans: Record<string, Record<string, unknown>>[] }).localFans[0]!;
    fan.standby!.runPoint = 'FAN-RUN';
    fan.standby!.fanOutput = 'fan-power';
    expect(interlockProblems(config, loadPresets()).map((p) => `${p.path.join('.')}: ${p.message}`)).toEqual([
      'safety.localFans.0.standby.runPoint: the standby fan needs its own on/off sensor, not the main fan\'s "FAN-RUN"',
      'safety.localFans.0.standby.fanOutput: output "fan-power" already feeds another local fan',
    ]);
  });
});

describe('alarm outputs', () => {
  it('a warning-only alarm (calibration overdue) lights the beacon but does not sound the siren', () => {
    const old = new Date(Date.UTC(2026, 0, 10) - 20 * 86_400_000).toISOString().slice(0, 10);
    const config = headingConfig();
    (config.safety as { integrity: { calibrations: Record<string, string> } }).integrity.calibrations['CH4-T1'] = old;
    const rig = runningRig(config);
    const alarm = rig.last!.alarms.find((a) => a.point === 'CH4-T1');
    expect(alarm).toMatchObject({ kind: 'integrity', severity: 'warning' });
    expect(rig.energized('beacon')).toBe(true);
    expect(rig.energized('siren')).toBe(false);
    expect(rig.energized('heading-power')).toBe(true);
    // A danger alarm on top sounds the siren.
    rig.set({ 'CH4-T1': 1.1 }).step();
    expect(rig.energized('siren')).toBe(true);
  });
});
