import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { loadConfig } from '../../edge/config/load-config.js';
import type { CheckContext } from '../../edge/config/check-context.js';
import { SafetyEngine } from '../../edge/safety/engine.js';
import { checkSafetyInterlocks } from '../../edge/safety/interlock-checks.js';
import { checkSafetyThresholds } from '../../edge/safety/thresholds.js';
import type { Reading } from '../../core/readings.js';

describe('the shipped example substation config', () => {
  const loaded = loadConfig(join(boardConfigsDir(), 'examples', 'rtu-serial-substation.yaml'));

  it('passes the safety checks', () => {
    const issues: string[] = [];
    const ctx = { config: loaded.config, report: (path: readonly (string | number)[], message: string) => issues.push(`${path.join('.')}: ${message}`) } as unknown as CheckContext;
    checkSafetyThresholds(ctx);
    checkSafetyInterlocks(ctx);
    expect(issues).toEqual([]);
  });

  it('drives a safety engine: T1 at 1.5 % cuts the heading power, the siren sounds', () => {
    const engine = new SafetyEngine({ config: loaded.config, integrity: false });
    const values: Record<string, number> = { F002A01: 0.2, F002A02: 0.2, F002A03: 3, F002D01: 1, F002D02: 1 };
    let now = 0;
    const reading = (code: string): Reading => ({ point: code, value: values[code] ?? null, unit: '', quality: 'good', wallTime: now, monoTime: now, raw: [] });
    const state = (output: string) => engine.evaluate(reading, now).outputs.find((o) => o.output === output)!;
    expect(state('heading-power').energize).toBe(true);
    values.F002A01 = 1.5;
    now += 1000;
    const result = engine.evaluate(reading, now);
    expect(result.outputs.find((o) => o.output === 'heading-power')).toMatchObject({ energize: false, holds: ['over-limit:F002A01'] });
    expect(result.outputs.find((o) => o.output === 'siren')!.energize).toBe(true);
    // ch4-t1 and ch4-t2 have alarmPollMs: both share the heading zone.
    expect(result.fastPollDevices).toEqual(['ch4-t1', 'ch4-t2']);
  });
});
