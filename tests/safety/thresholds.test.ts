import { describe, expect, it } from 'vitest';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { PointConfig } from '../../board-configs/schema.js';
import type { CheckContext, ConfigCheck } from '../../edge/config/check-context.js';
import type { SafetyConfigView } from '../../edge/safety/config-view.js';
import { SafetyConfigError } from '../../edge/safety/errors.js';
import { checkSafetyInterlocks, interlockProblems } from '../../edge/safety/interlock-checks.js';
import { buildSafetyPlan } from '../../edge/safety/plan.js';
import { checkSafetyThresholds, resolveThresholds } from '../../edge/safety/thresholds.js';
import { headingConfig } from './rig.js';

const presets = loadPresets();

function methane(extra: Partial<PointConfig> = {}): PointConfig {
  return { code: 'T1', sensorType: '0001', device: 'd', channel: 'value', unit: '%CH4', range: { low: 0, high: 4 }, location: 'face', role: 'heading.T1', zones: ['z'], ...extra };
}

/** Run a config check the way edge/config does, collecting "path: message" lines. */
function runCheck(check: ConfigCheck, config: SafetyConfigView): string[] {
  const issues: string[] = [];
  const ctx = {
    config,
    report: (path: readonly (string | number)[], message: string) => issues.push(`${path.join('.')}: ${message}`),
  } as unknown as CheckContext;
  check(ctx);
  return issues;
}

describe('threshold resolution', () => {
  it('takes the preset row selected by the role', () => {
    const { thresholds, problems } = resolveThresholds(methane(), presets);
    expect(problems).toEqual([]);
    expect(thresholds).toMatchObject({ preset: 'methane', role: 'heading.T1', alarm: 1.0, cutoff: 1.5, restore: 1.0, unit: '%CH4', tag: 'V' });
    expect(thresholds!.source).toContain('AQ 1029-2019');
  });

  it('accepts a tighter value from the config', () => {
    const { thresholds, problems } = resolveThresholds(methane({ thresholds: { alarm: 0.8, cutoff: 1.2, restore: 0.8 } }), presets);
    expect(problems).toEqual([]);
    expect(thresholds).toMatchObject({ alarm: 0.8, cutoff: 1.2, restore: 0.8, loosened: [] });
  });

  it('refuses a looser value and names the preset value and its source', () => {
    const { thresholds, problems } = resolveThresholds(methane({ thresholds: { cutoff: 2.0 } }), presets);
    expect(problems).toEqual([
      {
        path: ['thresholds', 'cutoff'],
        message: '2.0 %CH4 is looser than the heading.T1 preset 1.5 %CH4 (AQ 1029-2019 table (S6); AQ 6201 interlock clause a); mark an approvedException with a reason to override',
      },
    ]);
    // Even a refused config never resolves to the looser number.
    expect(thresholds!.cutoff).toBe(1.5);
  });

  it('refuses a higher restore value (power back at a higher concentration) too', () => {
    const { problems } = resolveThresholds(methane({ thresholds: { restore: 1.2 } }), presets);
    expect(problems.map((p) => p.path.join('.'))).toEqual(['thresholds.restore']);
    expect(problems[0]!.message).toMatch(/^1\.2 %CH4 is looser than the heading\.T1 preset 1\.0 %CH4/);
  });

  it('accepts a looser value with an approved exception and records who approved it', () => {
    const { thresholds, problems } = resolveThresholds(
      methane({ thresholds: { cutoff: 2.0, restore: 1.0, approvedException: { reason: 'gas drainage trial, MSA letter 2026-3', approvedBy: 'chief engineer Li' } } }),
      presets,
    );
    expect(problems).toEqual([]);
    expect(thresholds).toMatchObject({ cutoff: 2.0, loosened: ['cutoff'], approvedBy: 'chief engineer Li' });
    expect(thresholds!.source).toContain('approved by chief engineer Li');
  });

  it('treats a lower wind-speed minimum as looser', () => {
    const point: PointConfig = { code: 'W1', sensorType: '0002', device: 'd', channel: 'value', unit: 'm/s', range: { low: 0, high: 15 }, location: 'x', role: 'heading.coal', thresholds: { alarmLow: 0.2 } };
    expect(resolveThresholds(point, presets).problems[0]!.message).toMatch(/^0\.2 m\/s is looser than the heading\.coal preset 0\.25 m\/s/);
    expect(resolveThresholds({ ...point, thresholds: { alarmLow: 0.3 } }, presets).thresholds).toMatchObject({ alarmLow: 0.3, alarm: 4 });
  });

  it('refuses a methane point without a role, an unknown role and a wrong unit', () => {
    expect(resolveThresholds(methane({ role: undefined }), presets).problems[0]!.message).toMatch(/needs a role from the methane preset/);
    expect(resolveThresholds(methane({ role: 'heading.T9' }), presets).problems[0]).toMatchObject({ path: ['role'], message: expect.stringMatching(/"heading\.T9" is not a role of the methane preset \(roles: longwall\.T0/) });
    expect(resolveThresholds(methane({ unit: '%' }), presets).problems[0]!.message).toMatch(/differs from the methane preset unit "%CH4"/);
  });

  it('demands a local value where the standard has none (duct airflow)', () => {
    const duct: PointConfig = { code: 'A1', sensorType: '0019', device: 'd', channel: 'value', unit: 'm³/min', range: { low: 0, high: 1000 }, location: 'x', role: 'local-fan.duct' };
    expect(resolveThresholds(duct, presets).problems[0]).toMatchObject({ path: ['thresholds', 'alarmLow'], message: expect.stringMatching(/no national value: set thresholds\.alarmLow/) });
    expect(resolveThresholds({ ...duct, thresholds: { alarmLow: 120 } }, presets)).toMatchObject({ problems: [], thresholds: { alarmLow: 120 } });
  });

  it('refuses a restore above the (tightened) cutoff', () => {
    const { problems } = resolveThresholds(methane({ role: 'heading.T2', thresholds: { cutoff: 0.8 } }), presets);
    expect(problems[0]).toMatchObject({ path: ['thresholds', 'restore'], message: expect.stringMatching(/restore 1\.0 %CH4 is above cutoff 0\.8 %CH4/) });
  });
});

describe('safety config checks (edge/config cross-check interface)', () => {
  it('checkSafetyThresholds reports with config paths', () => {
    const config = headingConfig();
    config.points[0]!.thresholds = { cutoff: 2.0 };
    expect(runCheck(checkSafetyThresholds, config)).toEqual([expect.stringMatching(/^points\.0\.thresholds\.cutoff: 2\.0 %CH4 is looser than the heading\.T1 preset 1\.5 %CH4/)]);
  });

  it('the shipped test config passes both checks', () => {
    expect(runCheck(checkSafetyThresholds, headingConfig())).toEqual([]);
    expect(runCheck(checkSafetyInterlocks, headingConfig())).toEqual([]);
  });

  it('refuses a fan whose own supply sits in the zone it ventilates (it could never restart)', () => {
    const config = headingConfig();
    config.zones[0]!.outputs.push('fan-power');
    expect(runCheck(checkSafetyInterlocks, config)).toContainEqual(expect.stringMatching(/^safety\.localFans\.0\.fanOutput: output "fan-power" is inside a zone the fan ventilates/));
  });

  it('refuses a feed escalation loop and escalation onto a fan supply', () => {
    const config = headingConfig();
    config.outputs[1] = { ...config.outputs[1]!, feedPoint: 'FEED-1', feedEscalation: 'heading-power' };
    expect(runCheck(checkSafetyInterlocks, config)).toContainEqual(expect.stringMatching(/feed escalation loops back/));
    const fan = headingConfig();
    fan.outputs[0] = { ...fan.outputs[0]!, feedEscalation: 'fan-power' };
    expect(runCheck(checkSafetyInterlocks, fan)).toContainEqual(expect.stringMatching(/outputs\.0\.feedEscalation: output "fan-power" feeds a local fan/));
  });

  it('refuses a cut-off point that governs no zone, and fan points of the wrong type', () => {
    const config = headingConfig();
    config.points[1] = { ...config.points[1]!, zones: [] };
    config.points[3] = { ...config.points[3]!, sensorType: '1004' };
    const issues = runCheck(checkSafetyInterlocks, config);
    expect(issues).toContainEqual(expect.stringMatching(/^points\.1\.zones: cuts "all non-IS equipment in the heading" at 1 %CH4 .* but governs no zone/));
    expect(issues).toContainEqual(expect.stringMatching(/^safety\.localFans\.0\.runPoint: point "FAN-RUN" has sensorType 1004/));
  });

  it('the engine refuses to build a plan from a config that fails the checks', () => {
    const config = headingConfig();
    config.points[0]!.thresholds = { cutoff: 2.0 };
    expect(() => buildSafetyPlan(config, presets)).toThrow(SafetyConfigError);
    try {
      buildSafetyPlan(config, presets);
    } catch (err) {
      expect((err as SafetyConfigError).code).toBe('SAFETY_CONFIG_INVALID');
      expect((err as SafetyConfigError).message).toContain('points[0].thresholds.cutoff: 2.0 %CH4 is looser');
    }
    expect(interlockProblems(headingConfig({ unlockOperators: [''] as string[] }), presets)[0]!.path).toEqual(['safety']);
  });
});
