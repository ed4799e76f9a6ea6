// What one interlock cycle decides for one output: the engine's result per output, and what the
// fail-safe latch (fail-safe.ts) substitutes when the cycle itself fails. The output drivers apply it.
import type { OutputKind } from '../../board-configs/safety-schema.js';

export interface OutputDecision {
  output: string;
  device: string;
  channel: string;
  kind: OutputKind;
  /** Coil/pin on. For power outputs: power permitted (no hold). */
  energize: boolean;
  /** Keys of the holds keeping a power output cut. */
  holds: string[];
}
