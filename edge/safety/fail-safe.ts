// The state outputs take when the interlock cycle itself fails, per kind of output, and the latch
// that keeps them there until the failure is on record and a cycle has succeeded again.
// - power: cut, except a local fan's supply, which keeps its last decision: ventilation must go
//   on and the local fan is never fault-locked (AQ 6201 interlock clause f [I]);
// - siren, beacon, evacuation: on (nobody can vouch for protection, so people are warned and led out);
// - heartbeat: frozen, so the external watchdog relay trips as well.
import type { OutputKind } from '../../board-configs/safety-schema.js';
import type { OutputDecision } from './output-decision.js';

export const ENGINE_FAILURE_HOLD = 'engine-failure';

export interface FailSafeOutput {
  id: string;
  device: string;
  channel: string;
  kind: OutputKind;
}

/**
 * @param localFanOutputs power outputs that supply a local fan (main or standby)
 * @param lastEnergized the last decision for an output (undefined: never decided, so no proof it may run)
 * @param heartbeat the heartbeat level to freeze
 */
export function failSafeDecisions(
  outputs: Iterable<FailSafeOutput>,
  localFanOutputs: ReadonlySet<string>,
  lastEnergized: (output: string) => boolean | undefined,
  heartbeat: boolean,
): OutputDecision[] {
  return [...outputs].map((o) => {
    const keepFan = o.kind === 'power' && localFanOutputs.has(o.id) && lastEnergized(o.id) === true;
    const energize = o.kind === 'power' ? keepFan : o.kind === 'heartbeat' ? heartbeat : true;
    return { output: o.id, device: o.device, channel: o.channel, kind: o.kind, energize, holds: o.kind === 'power' && !keepFan ? [ENGINE_FAILURE_HOLD] : [] };
  });
}

/** Why and since when the outputs are in the fail-safe state. */
export interface FailSafeState {
  sinceWall: number;
  reason: string;
  /** The failure is on record (written ahead or in the database): the latch may open after a good cycle. */
  recorded: boolean;
  /** The heartbeat level frozen at the failure. */
  heartbeat: boolean;
  /** Cycles that failed while latched. */
  failures: number;
}
