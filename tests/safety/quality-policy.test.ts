// Property test of the quality policy (edge/safety/quality-policy.ts) through the real engine:
// for every rule that can put power back on, unlock a fan or permit a restart, thousands of
// generated reading sequences (every quality, values on both sides of each limit) after the rule
// tripped, under three start modes — cold start, warm start (config reload) and a restart that
// reloads the hold from the store. The invariant: a release happens only on a step whose deciding
// readings are GOOD and on the safe side of the limit (for fault lockout: only after the configured
// time of continuous good readings). Calibrating, over-range, stale and faulty readings never release.
import { describe, expect, it } from 'vitest';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { Quality } from '../../core/readings.js';
import type { PersistedHold } from '../../edge/safety/holds.js';
import { QUALITY_POLICY } from '../../edge/safety/quality-policy.js';
import { QUALITIES } from '../../core/readings.js';
import { mulberry32 } from '../helpers/prng.js';
import { headingConfig, Rig } from './rig.js';

const SEQUENCES_PER_RULE = 10_000;
const STEPS = 10;
const HOLD_MS = 3_000;
const presets = loadPresets();
const config = headingConfig({ faultLockoutHoldMs: HOLD_MS });

type Mode = 'cold' | 'warm' | 'restore';
const MODES: Mode[] = ['cold', 'warm', 'restore'];

interface Sample {
  quality: Quality;
  value: number | null;
}

interface RuleCase {
  name: string;
  /** The hold (or lock) whose release is under test. */
  key: string;
  /** Readings that keep everything else healthy and trip the rule. */
  trip: Record<string, number>;
  /** Points whose readings are generated each step, with the value range to draw from. */
  vary: Record<string, [number, number]>;
  /** Whether the samples of one step may release (the rule's safe side, good only). */
  releasable(step: Record<string, Sample>, goodRun: number): boolean;
}

const good = (s: Sample | undefined, test: (v: number) => boolean): boolean => s !== undefined && s.quality === 'good' && s.value !== null && test(s.value);

const RULES: RuleCase[] = [
  { name: 'methane cut-off (T1 ≥ 1.5 %, restore < 1.0 %)', key: 'over-limit:CH4-T1', trip: { 'CH4-T1': 2.0 }, vary: { 'CH4-T1': [0, 2.5] }, releasable: (s) => good(s['CH4-T1'], (v) => v < 1.0) },
  {
    name: 'heading T3 second stage (≥ 1.5 % cuts the fan, restore < 0.5 %)',
    key: 'fan-cutoff:CH4-FAN',
    trip: { 'CH4-FAN': 1.8 },
    vary: { 'CH4-FAN': [0, 2] },
    releasable: (s) => good(s['CH4-FAN'], (v) => v < 0.5),
  },
  {
    name: 'fault lockout (clause f, stable-good hold)',
    key: 'fault-lockout:CH4-T2',
    trip: {},
    vary: { 'CH4-T2': [0, 0.9] },
    releasable: (_s, goodRun) => goodRun >= HOLD_MS,
  },
  {
    name: 'duct airflow low (clause d)',
    key: 'duct-airflow-low:fan1',
    trip: { 'FAN-AIR': 80 },
    vary: { 'FAN-AIR': [50, 400] },
    releasable: (s) => good(s['FAN-AIR'], (v) => v >= 150),
  },
  {
    name: 'fan lock (clause e, release < 1.5 % at T1 and T2)',
    key: 'fan-lock:fan1',
    trip: { 'FAN-RUN': 0, 'CH4-T1': 3.5, 'CH4-FAN': 0.1 },
    vary: { 'CH4-T1': [0, 4], 'CH4-T2': [0, 4] },
    releasable: (s) => good(s['CH4-T1'], (v) => v < 1.5) && good(s['CH4-T2'], (v) => v < 1.5),
  },
  {
    name: 'local fan restart permit (≤ 0.5 % at the fan and its switch)',
    key: 'fan-restart:fan1',
    trip: { 'FAN-RUN': 0, 'CH4-FAN': 0.9 },
    vary: { 'CH4-FAN': [0, 1.2] },
    releasable: (s) => good(s['CH4-FAN'], (v) => v <= 0.5),
  },
];

function draw(rnd: () => number, range: [number, number]): Sample {
  // Half good (releases must be reachable), half one of the other qualities.
  const quality = rnd() < 0.5 ? 'good' : QUALITIES[1 + Math.floor(rnd() * (QUALITIES.length - 1))]!;
  const r = rnd();
  // Mostly values in range, sometimes a missing value: every quality with every kind of value.
  const value = r < 0.1 ? null : Math.round((range[0] + rnd() * (range[1] - range[0])) * 100) / 100;
  return { quality, value };
}

/** A rig in `mode` with the rule tripped; undefined when this mode cannot trip it (then the case is skipped). */
function tripped(rule: RuleCase, mode: Mode): Rig {
  const make = (warmStart: boolean) => new Rig(config, { presets, ...(warmStart ? { warmStart: true } : {}) });
  const trip = (rig: Rig) => {
    rig.evaluate();
    rig.step();
    if (rule.key.startsWith('fault-lockout')) rig.quality('CH4-T2', 'comm-fault');
    rig.set(rule.trip).step();
    rig.step();
  };
  if (mode !== 'restore') {
    const rig = make(mode === 'warm');
    trip(rig);
    return rig;
  }
  const before = make(false);
  trip(before);
  const holds: PersistedHold[] = before.engine.persistedHolds();
  const rig = make(false);
  for (const [code, s] of before.samples) rig.samples.set(code, s);
  rig.now = before.now + 5_000;
  rig.engine.restore({ loadHolds: () => holds }, rig.now);
  rig.evaluate();
  return rig;
}

describe('quality policy: only a good reading ever releases (property test through the engine)', () => {
  it('the table: calibrating trips and never releases; nothing but good releases, unlocks or permits a restart', () => {
    for (const q of QUALITIES) {
      const p = QUALITY_POLICY[q];
      const isGood = q === 'good';
      expect([q, p.mayRelease, p.mayUnlock, p.mayPermitRestart]).toEqual([q, isGood, isGood, isGood]);
    }
    expect(QUALITY_POLICY.calibrating.mayTrip).toBe(true);
    expect(QUALITY_POLICY['over-range'].mayTrip).toBe(true);
    expect(QUALITY_POLICY.calibrating.notAFault).toBe(true);
    expect(QUALITY_POLICY['over-range'].notAFault).toBe(false);
  });

  it.each(RULES)(`$name: ${SEQUENCES_PER_RULE} sequences × ${STEPS} steps over cold, warm and restore starts`, async (rule) => {
    const rnd = mulberry32(0x5eed + rule.key.length * 7919);
    const releases = { legal: 0, total: 0 };
    const trippedIn = { cold: 0, warm: 0, restore: 0 };
    for (let n = 0; n < SEQUENCES_PER_RULE; n++) {
      // Let the test runner's worker talk to its parent now and then (a long synchronous test times out its RPC).
      if (n % 500 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const mode = MODES[n % MODES.length]!;
      const rig = tripped(rule, mode);
      const held = () => rig.engine.holds().some((h) => h.key === rule.key) || (rule.key.startsWith('fan-lock') && rig.engine.fanLocked('fan1'));
      expect(held(), `${mode}: ${rule.key} tripped`).toBe(true);
      trippedIn[mode]++;
      let goodRun = 0;
      let goodSince: number | undefined;
      for (let i = 0; i < STEPS; i++) {
        const step: Record<string, Sample> = {};
        for (const [code, range] of Object.entries(rule.vary)) {
          step[code] = draw(rnd, range);
          rig.quality(code, step[code].quality, step[code].value);
        }
        rig.step();
        // Continuous good readings of the faulty point, as the engine sees them (a step is 1 s).
        const s = step['CH4-T2'];
        if (s && s.quality === 'good' && s.value !== null) {
          goodSince ??= rig.now;
          goodRun = rig.now - goodSince;
        } else {
          goodSince = undefined;
          goodRun = 0;
        }
        if (held()) continue;
        releases.total++;
        const ok = rule.releasable(step, goodRun);
        if (!ok) throw new Error(`${rule.key} released in ${mode} start on step ${i} by ${JSON.stringify(step)} (sequence ${n})`);
        releases.legal++;
        break;
      }
    }
    expect(trippedIn.cold + trippedIn.warm + trippedIn.restore).toBe(SEQUENCES_PER_RULE);
    // The generator does reach releases (the property is not vacuous).
    expect(releases.total).toBeGreaterThan(SEQUENCES_PER_RULE / 20);
    expect(releases.legal).toBe(releases.total);
  }, 240_000);
});
