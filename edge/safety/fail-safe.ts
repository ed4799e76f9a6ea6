// The state outputs take when the interlock cycle itself fails, per kind of output, and the latch
// that keeps them there until the failure is on record and a cycle has succeeded again.
// - power: cut, except a local fan's supply, which keeps its last decision: ventilation must go
//   on and the local fan is never fault-locked (AQ 6201 interlock clause f [I]);
// - siren, beacon, evacuation: on (nobody can vouch for protection, so people are warned and led out);
// - heartbeat: frozen, so the external watchdog relay trips as well.
// The latch (FailSafeLatch) drives the outputs before anything is logged, and takes its decisions
// from the config alone: the engine may be what failed.
import type { OutputKind } from '../../board-configs/safety-schema.js';
import type { Clock } from '../../core/clock.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { OutputDecision } from './output-decision.js';
import type { SafetyEvent } from './events.js';
import type { RecordJournal, WriteAheadJournal } from './write-ahead-journal.js';

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

export interface FailSafeLatchParts {
  loaded: LoadedConfig;
  clock: Clock;
  log: Logger;
  journal: RecordJournal;
  writeAhead: WriteAheadJournal | undefined;
  /** The decisions last driven (read for the fan and heartbeat levels, replaced on entry). */
  lastDecisions(): OutputDecision[];
  setLastDecisions(decisions: OutputDecision[]): void;
  /** Drive without reporting back to the engine. */
  drive(decisions: OutputDecision[]): void;
  /** Log and hand events to the listeners (never throws). */
  deliver(events: readonly SafetyEvent[]): void;
}

export class FailSafeLatch {
  private state: FailSafeState | undefined;

  constructor(private readonly parts: FailSafeLatchParts) {}

  get latched(): boolean {
    return this.state !== undefined;
  }

  /** Why and since when the outputs are in the fail-safe state; undefined while the cycle works. */
  snapshot(): FailSafeState | undefined {
    return this.state ? { ...this.state } : undefined;
  }

  /** The fail-safe decisions now, from the config alone (the engine may be what failed). */
  decisions(): OutputDecision[] {
    const { config } = this.parts.loaded;
    const fans = new Set((config.safety?.localFans ?? []).flatMap((f) => [f.fanOutput, f.standby?.fanOutput].filter((o): o is string => o !== undefined)));
    const lastDecisions = this.parts.lastDecisions();
    const last = new Map(lastDecisions.map((d) => [d.output, d.energize]));
    return failSafeDecisions(config.outputs, fans, (id) => last.get(id), this.state?.heartbeat ?? last.get(config.outputs.find((o) => o.kind === 'heartbeat')?.id ?? '') ?? false);
  }

  /**
   * Cut power (local fans kept), warnings on, heartbeat frozen, latched until the failure is on
   * record and a cycle succeeds. The outputs are driven before anything is logged.
   */
  enter(err: unknown, what: string): void {
    const { clock, log } = this.parts;
    const message = err instanceof Error ? err.message : String(err);
    try {
      if (this.state) {
        this.state.failures++;
        this.parts.drive(this.decisions());
        return;
      }
      const heartbeat = this.parts.lastDecisions().find((d) => d.kind === 'heartbeat')?.energize ?? false;
      this.state = { sinceWall: clock.wall(), reason: `${what}: ${message}`, recorded: false, heartbeat, failures: 1 };
      const decisions = this.decisions();
      this.parts.setLastDecisions(decisions);
      this.parts.drive(decisions);
      const event: SafetyEvent = {
        seq: -1,
        type: 'engine-failure',
        wallTime: clock.wall(),
        monoTime: clock.mono(),
        outputs: decisions.filter((d) => d.kind === 'power' && !d.energize).map((d) => d.output),
        message: `${what}: ${message}; power cut (local fans kept running), siren, beacon and evacuation on, heartbeat stopped until a good cycle`,
      };
      this.record(event, () => {
        if (this.state) this.state.recorded = true;
      });
      quietly(() => log.error({ err: message }, `safety: ${event.message}`));
      this.parts.deliver([event]);
    } catch (inner) {
      // Even the fail-safe path failed: the latch stays, the heartbeat stops with it.
      quietly(() => log.error({ err: (inner as Error).message }, 'safety: driving the fail-safe state failed'));
    }
  }

  /** A good cycle while latched: leave the fail-safe state only once the failure is on record. */
  leave(): boolean {
    const state = this.state!;
    if (!state.recorded) return false;
    this.state = undefined;
    const { clock, log } = this.parts;
    const event: SafetyEvent = {
      seq: -1,
      type: 'engine-recovered',
      wallTime: clock.wall(),
      monoTime: clock.mono(),
      // How long, not since when: the kernel must not load the mine-time formatter (sync/), and a
      // UTC ISO time in a message reads wrong to the mine (issue 14: mine time everywhere).
      message: `interlock cycle works again after ${state.failures} failed cycle(s) over ${Math.max(0, Math.round((clock.wall() - state.sinceWall) / 1000))} s: outputs follow the rules again`,
    };
    this.record(event, () => {});
    quietly(() => log.warn(`safety: ${event.message}`));
    this.parts.deliver([event]);
    return true;
  }

  /** Written ahead when there is a file; otherwise recorded once the SQLite journal has it. */
  private record(event: SafetyEvent, recorded: () => void): void {
    const { writeAhead, journal } = this.parts;
    if (writeAhead) {
      if (writeAhead.recordNow(event)) return recorded();
    } else journal.record([event]);
    void journal.flush().then(() => {
      if (journal.settled()) recorded();
    });
  }
}

/** Logging must never take protection down (a full disk, a closed pipe). */
export function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Swallowed on purpose: see above.
  }
}
