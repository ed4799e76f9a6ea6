// The safety interlock engine built from a config: the plan (thresholds from the presets applied,
// zones, fans, feed checks) is made here, then the engine core (interlock-engine.ts) evaluates it.
// Callers that have a config (tests, replay, doctor) use this; the safety kernel process gets the
// plan as data and uses InterlockEngine, so the presets and the config checks stay out of it.
// The engine's types have one home, engine-types.ts; this file re-exports none of them.
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { SafetyEngineOptions } from './engine-types.js';
import { checkEngineOptions, InterlockEngine } from './interlock-engine.js';
import { buildSafetyPlan } from './plan.js';

export class SafetyEngine extends InterlockEngine {
  constructor(opts: SafetyEngineOptions) {
    if (!opts || typeof opts !== 'object' || !opts.config) throw new TypeError(`SafetyEngine: options.config is required, got ${String(opts?.config)}`);
    checkEngineOptions(opts);
    const { config, presets, ...rest } = opts;
    super({ ...rest, plan: buildSafetyPlan(config, presets ?? loadPresets()) });
  }
}
