// The part of a substation config the safety engine reads. A LoadedConfig's `config` satisfies it;
// tests and `minegate replay` can build one by hand. `safety` is optional so a config without a
// `safety:` section still works (every default applies).
import type { PointConfig } from '../../board-configs/schema.js';
import {
  type OutputConfig,
  type SafetySettings,
  type SafetySettingsInput,
  SafetySettingsSchema,
  type ZoneConfig,
} from '../../board-configs/safety-schema.js';

export interface SafetyConfigView {
  readonly points: readonly PointConfig[];
  readonly zones: readonly ZoneConfig[];
  readonly outputs: readonly OutputConfig[];
  readonly safety?: SafetySettings | SafetySettingsInput | undefined;
}

/** The safety settings of a config with every default applied. Throws TypeError naming the bad field. */
export function safetySettingsOf(config: SafetyConfigView): SafetySettings {
  const parsed = SafetySettingsSchema.safeParse(config.safety ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new TypeError(`safety.${first.path.join('.')}: ${first.message}`);
  }
  return parsed.data;
}
