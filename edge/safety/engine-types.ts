// The public shapes of the safety engine: what callers pass in (options, commands, actuation
// reports, the persisted state to restore from) and what an evaluation gives back. Types only, so
// importing them costs the kernel process nothing at run time.
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import type { OutputKind } from '../../board-configs/safety-schema.js';
import type { Reading } from '../../core/readings.js';
import type { Alarm } from './alarms.js';
import type { SafetyConfigView } from './config-view.js';
import type { SafetyEvent, SafetyJournalLike } from './events.js';
import type { PersistedHold } from './holds.js';
import type { SafetyPlan } from './plan.js';

/** Latest reading of a point with staleness already applied (edge/point-table.ts `current`). */
export type ReadingSource = (point: string) => Reading | undefined;

import type { OutputDecision } from './output-decision.js';
export type { OutputDecision };

export interface EvaluateOptions {
  /** Toggle the heartbeat output in this evaluation (default true). */
  heartbeat?: boolean;
}

export interface SafetyEvaluation {
  now: number;
  outputs: OutputDecision[];
  /** Events raised since the previous evaluation (commands included), already sent to the journal. */
  events: SafetyEvent[];
  alarms: Alarm[];
  /** Devices that should poll at their alarmPollMs (accelerated patrol of a gas-abnormal area). */
  fastPollDevices: string[];
}

export interface RemoteCutCommand {
  /** Command id, unique while active (the release names it). */
  id: string;
  zones?: string[];
  outputs?: string[];
  /** Who holds the authority (e.g. "dispatch"): only the same authority may release it. */
  authority: string;
  /** The person who ordered it. */
  operator: string;
  reason: string;
  /** It expires on its own after this long (bounded by safety.remoteCut.maxDurationMs). */
  durationMs: number;
}

export interface RemoteReleaseCommand {
  id: string;
  authority: string;
  operator: string;
}

/** Interlock clause g by hand: make one fan of a main/standby pair the running one (daily switchover test, back to a repaired main fan). */
export interface FanSwitchCommand {
  fan: string;
  to: 'main' | 'standby';
  /** Must be in safety.unlockOperators. */
  operator: string;
}

export interface ManualUnlockCommand {
  fan: string;
  /** Operator identity (password software user or key-switch id); must be in safety.unlockOperators. */
  operator: string;
}

/** What the actuator did with one decision. */
export interface ActuationReport {
  output: string;
  energize: boolean;
  confirmed: boolean;
  error?: string;
  /**
   * The channel was found in the other state although it had been confirmed as commanded and the
   * command had not changed: a module reset or a hand override at the module (明停暗开 risk).
   */
  overridden?: { found: boolean; lastSeenAgoMs: number };
}

export interface SafetyEngineOptions {
  config: SafetyConfigView;
  /** Threshold presets (default: the shipped board-configs/presets). */
  presets?: PresetLibrary;
  /** Wall clock for event times (default Date.now); rule timing uses only the monotonic `now`. */
  wallClock?: () => number;
  /** Durable sink for events and the hold snapshot; appended to without waiting. */
  journal?: SafetyJournalLike;
  /** Cut every power output at start until its governing points are freshly read (default true). */
  startupHold?: boolean;
  /**
   * A reload inside a running process (default false): outputs whose governing points all have a
   * good fresh reading in hand stay as they are; every other power output is cut at the first
   * evaluation until its points read good (never kept on through a grace period).
   */
  warmStart?: boolean;
  /** Run the sensor-integrity detectors (default true). */
  integrity?: boolean;
}

/** The persisted state SafetyEngine.restore() reads (SafetyStore implements it). */
export interface SafetyStateSource {
  loadHolds(): PersistedHold[];
  lastCalibrations?(): Map<string, number>;
}

/** The engine on a plan already built (the kernel process gets it as data: no presets, no config checks there). */
export interface InterlockEngineOptions extends Omit<SafetyEngineOptions, 'config' | 'presets'> {
  plan: SafetyPlan;
}
