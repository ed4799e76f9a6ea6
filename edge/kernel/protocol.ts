// The messages between the safety kernel (its own process) and the rest of the gateway. Plain data
// only: everything here is structured-cloned across the IPC channel (a MessagePort when inline). The kernel never waits for an
// answer to what it sends; the gateway process's answers (persisted, consumed) only let it account
// for what is in flight.
import type { LoadedConfigSnapshot } from '../config/loaded-snapshot.js';
import type { DeviceStatus, PollerOptions } from '../poller.js';
import type { Reading } from '../../core/readings.js';
import type { Alarm } from '../safety/alarms.js';
import type { SafetyEvent } from '../safety/events.js';
import type { FailSafeState } from '../safety/fail-safe.js';
import type { Hold, PersistedHold } from '../safety/holds.js';
import type { CycleStats, OutputStatus } from '../safety/safety-loop.js';
import type { WriteAheadStats } from '../safety/write-ahead-journal.js';
import type { ModbusMasterStats } from '../../protocols/modbus/master.js';

export interface KernelInit {
  loaded: LoadedConfigSnapshot;
  /** Holds and calibration dates from the store (the kernel has no database). */
  restore: { holds: PersistedHold[]; calibrations: [string, number][] };
  /** A reload inside a running process: readings already in hand, no cold-start cut. */
  warmStart?: { readings: Reading[] };
  writeAheadPath?: string;
  /** A safety officer's confirmation for holds this config no longer explains. */
  confirmation?: { operator: string; reason: string };
  poller?: Partial<PollerOptions>;
  tickMs?: number;
  /** Routine messages (readings, log lines) in flight before the kernel drops copies. */
  channelCapacity: number;
  /** pino level for the kernel's log lines. */
  logLevel: string;
}

/** Commands the gateway process may ask the kernel to carry out. */
export type KernelOp =
  | 'acknowledge'
  | 'manualUnlock'
  | 'remoteCut'
  | 'remoteRelease'
  | 'switchLocalFan'
  | 'setCalibrating'
  | 'testPulse'
  | 'requestSignal'
  | 'processFault'
  | 'resetStall'
  /** Swap in a new config (args: LoadedConfigSnapshot, confirmation?): resolves with KernelReloadResult. */
  | 'reload'
  /** Nothing; the reply's state snapshot brings the mirror up to date. */
  | 'sync'
  | 'modbusRead'
  | 'modbusWrite'
  | 'stop';

export type ToKernel =
  | { t: 'call'; id: number; op: KernelOp; args: unknown[] }
  /** The SQLite journal has every record up to this count. */
  | { t: 'persisted'; through: number }
  /** The gateway process has handled this many routine messages. */
  | { t: 'consumed'; through: number }
  /** The gateway process has taken in one state snapshot (the kernel sends at most two unseen). */
  | { t: 'stateSeen' };

/** What a reload swap did, for the log and the operator. */
export interface KernelReloadResult {
  /** Time from "build the new loop" to "new loop started", ms: protection did not wait longer. */
  swapMs: number;
  /** Holds on the new loop right after the swap (handed over, or placed by it). */
  holds: string[];
  /** Buses whose definition changed: their links reopened. */
  reopened: string[];
  /** Links no longer in the config, closed. */
  closed: string[];
}

export interface BusState {
  id: string;
  open: boolean;
  stats: ModbusMasterStats;
}

/** What the gateway process mirrors for status, control handlers and capabilities. */
export interface KernelState {
  outputs: OutputStatus[];
  holds: Hold[];
  alarms: Alarm[];
  remoteCuts: { id: string; outputs: string[]; authority: string; operator: string; reason: string; remainingMs: number }[];
  fans: { id: string; locked: boolean; active: 'main' | 'standby' | undefined }[];
  calibrating: string[];
  failSafe: FailSafeState | undefined;
  devices: DeviceStatus[];
  buses: BusState[];
  writeAhead: WriteAheadStats | undefined;
  cycle: CycleStats;
  /** Worst event-loop delay of the kernel process since start, ms (perf_hooks histogram). */
  maxStallMs: number;
  /** 99th percentile of the same, ms. */
  stallP99Ms: number;
  /** Longest interlock cycle run for a poll result (rules and actuation, the cut path), ms. Both reset by 'resetStall'. */
  longestReadingCycleMs: number;
  /** Routine copies the kernel dropped because the gateway process did not keep up. */
  dropped: { readings: number; logs: number; states: number };
  monoNow: number;
}

export type FromKernel =
  | { t: 'ready'; state: KernelState }
  | { t: 'readings'; readings: Reading[]; device: DeviceStatus }
  /** Safety records, never dropped; `n` counts records sent so far (for `persisted`). */
  | { t: 'records'; n: number; events?: SafetyEvent[]; holds?: PersistedHold[] }
  /** Safety events as the loop delivers them (for capabilities and the display); never dropped. */
  | { t: 'events'; events: SafetyEvent[] }
  | { t: 'state'; state: KernelState }
  | { t: 'log'; line: string }
  | { t: 'reply'; id: number; ok: true; value: unknown; state: KernelState }
  | { t: 'reply'; id: number; ok: false; error: { name: string; code?: string; message: string }; state: KernelState }
  | { t: 'failed'; message: string };
