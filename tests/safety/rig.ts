// Test rig for the safety engine: a heading substation config and a field of readings the test
// sets by hand, evaluated on a virtual monotonic clock. Not a test file itself.
import type { PointConfig } from '../../board-configs/schema.js';
import type { OutputConfig, SafetySettingsInput, ZoneConfig } from '../../board-configs/safety-schema.js';
import type { SafetyConfigView } from '../../edge/safety/config-view.js';
import { SafetyEngine } from '../../edge/safety/engine.js';
import type { OutputDecision, SafetyEngineOptions, SafetyEvaluation } from '../../edge/safety/engine-types.js';
import type { SafetyEvent } from '../../edge/safety/events.js';
import type { Quality, Reading } from '../../core/readings.js';

export const WALL0 = Date.UTC(2026, 0, 10, 8, 0, 0);

function point(code: string, sensorType: string, device: string, unit: string, range: [number, number], extra: Partial<PointConfig> = {}): PointConfig {
  return { code, sensorType, device, channel: sensorType.startsWith('1') ? 'state' : 'value', unit, range: { low: range[0], high: range[1] }, location: `${code} location`, ...extra };
}

/** 3102 heading: T1, T2, a CH4 sensor at the local fan, fan on/off, duct airflow, feed sensor. */
export function headingConfig(safety: SafetySettingsInput = {}): SafetyConfigView & { points: PointConfig[]; zones: ZoneConfig[]; outputs: OutputConfig[] } {
  const calibrated = new Date(WALL0 - 3 * 86_400_000).toISOString().slice(0, 10);
  return {
    points: [
      point('CH4-T1', '0001', 'ch4-t1', '%CH4', [0, 4], { role: 'heading.T1', zones: ['heading'] }),
      point('CH4-T2', '0001', 'ch4-t2', '%CH4', [0, 4], { role: 'heading.T2', zones: ['heading'] }),
      point('CH4-FAN', '0001', 'ch4-fan', '%CH4', [0, 4], { role: 'heading.T3', zones: ['heading'] }),
      point('FAN-RUN', '1001', 'fan-1', '', [0, 1]),
      point('FAN-AIR', '0019', 'fan-1', 'm³/min', [0, 1000], { role: 'local-fan.duct', thresholds: { alarmLow: 150 } }),
      point('FEED-1', '1011', 'feed-1', '', [0, 1]),
    ],
    zones: [{ id: 'heading', name: '3102 heading non-IS power', outputs: ['heading-power'] }],
    outputs: [
      { id: 'heading-power', device: 'relay-1', channel: 'coil0', kind: 'power', feedPoint: 'FEED-1', feedEscalation: 'upstream-power', escalateWhenUnverified: true },
      { id: 'upstream-power', device: 'relay-1', channel: 'coil1', kind: 'power', escalateWhenUnverified: true },
      { id: 'fan-power', device: 'relay-1', channel: 'coil2', kind: 'power', escalateWhenUnverified: true },
      { id: 'evacuation', device: 'relay-1', channel: 'coil4', kind: 'evacuation', escalateWhenUnverified: true },
      { id: 'heartbeat', device: 'relay-1', channel: 'coil5', kind: 'heartbeat', escalateWhenUnverified: true },
      { id: 'siren', device: 'relay-1', channel: 'coil6', kind: 'siren', escalateWhenUnverified: true },
      { id: 'beacon', device: 'relay-1', channel: 'coil7', kind: 'beacon', escalateWhenUnverified: true },
    ],
    safety: {
      localFans: [
        { id: 'fan1', fanOutput: 'fan-power', runPoint: 'FAN-RUN', airflowPoint: 'FAN-AIR', ventilates: ['heading'], gasPoints: ['CH4-T1', 'CH4-T2'], restartPoints: ['CH4-FAN'] },
      ],
      unlockOperators: ['zhang.wei'],
      remoteCut: { authorities: ['dispatch', 'safety-office'] },
      integrity: { calibrations: { 'CH4-T1': calibrated, 'CH4-T2': calibrated, 'CH4-FAN': calibrated, 'FAN-AIR': calibrated } },
      ...safety,
    },
  };
}

interface Sample {
  value: number | null;
  quality: Quality;
  /** Keep the acquisition time fixed (the point is not being polled). */
  frozenAt?: number;
}

export class Rig {
  now = 0;
  wallOffset = WALL0;
  readonly engine: SafetyEngine;
  readonly samples = new Map<string, Sample | 'missing'>();
  last: SafetyEvaluation | undefined;
  readonly events: SafetyEvent[] = [];
  /** When true, FEED-1 shows power exactly when heading-power was energised last cycle (a healthy switch). */
  feedFollowsOutput = true;

  constructor(config: SafetyConfigView = headingConfig(), opts: Partial<SafetyEngineOptions> = {}) {
    this.engine = new SafetyEngine({ config, wallClock: () => this.wallOffset + this.now, ...opts });
    this.set({ 'CH4-T1': 0.2, 'CH4-T2': 0.2, 'CH4-FAN': 0.1, 'FAN-RUN': 1, 'FAN-AIR': 300, 'FEED-1': 0 });
  }

  set(values: Record<string, number | null>, quality: Quality = 'good'): this {
    for (const [code, value] of Object.entries(values)) this.samples.set(code, { value, quality });
    return this;
  }

  quality(code: string, quality: Quality, value: number | null = null): this {
    this.samples.set(code, { value, quality });
    return this;
  }

  missing(code: string): this {
    this.samples.set(code, 'missing');
    return this;
  }

  /** Stop polling a point: its acquisition time stays where it is. */
  freeze(code: string): this {
    const s = this.samples.get(code);
    if (s && s !== 'missing') s.frozenAt = this.now;
    return this;
  }

  reading = (code: string): Reading | undefined => {
    const s = this.samples.get(code);
    if (!s || s === 'missing') return undefined;
    let value = s.value;
    if (code === 'FEED-1' && this.feedFollowsOutput && this.last) value = this.energized('heading-power') ? 1 : 0;
    const monoTime = s.frozenAt ?? this.now;
    return { point: code, value, unit: '', quality: s.quality, wallTime: this.wallOffset + monoTime, monoTime, raw: [] };
  };

  /** Advance the clock and evaluate once. */
  step(ms = 1000): SafetyEvaluation {
    this.now += ms;
    return this.evaluate();
  }

  evaluate(): SafetyEvaluation {
    this.last = this.engine.evaluate(this.reading, this.now);
    this.events.push(...this.last.events);
    return this.last;
  }

  /** Step `seconds` one-second cycles. */
  run(seconds: number): SafetyEvaluation {
    for (let i = 0; i < seconds; i++) this.step(1000);
    return this.last!;
  }

  decision(output: string): OutputDecision {
    const d = this.last?.outputs.find((o) => o.output === output);
    if (!d) throw new Error(`no decision for ${output}`);
    return d;
  }

  energized(output: string): boolean {
    return this.decision(output).energize;
  }

  eventsOf(type: SafetyEvent['type']): SafetyEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  alarmKeys(): string[] {
    return (this.last?.alarms ?? []).map((a) => a.key).sort();
  }
}

/** A rig already past start-up: every output released, no alarm. */
export function runningRig(config?: SafetyConfigView, opts?: Partial<SafetyEngineOptions>): Rig {
  const rig = new Rig(config, opts);
  rig.evaluate();
  rig.step(1000);
  return rig;
}
