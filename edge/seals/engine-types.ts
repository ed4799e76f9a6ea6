// What a SealEngine is built with and what it shows: its options, the status of every shaft
// mouth, camera and load (renderSeals), and the error of an input after close().
import type { Logger } from '../log.js';
import type { SealConfig, SealMode } from '../../board-configs/seal-schema.js';
import type { CounterSet, SealTamper } from '../../drivers/seal-camera.js';
import type { Clock } from '../../core/clock.js';
import type { Quality } from '../../core/readings.js';
import { MinegateError } from '../../core/minegate-error.js';
import type { SealAlarm, SealEvent } from './events.js';
import type { PersonnelView } from './personnel-view.js';
import type { SnapshotSource } from './snapshot.js';
import type { SealStateStore } from './store.js';

export interface SealEngineOptions {
  /** The `seals` section (parsed, or raw input: it is validated here). */
  config: SealConfig;
  personnel: PersonnelView;
  clock?: Clock;
  /** Durable state and event log (SealStore). Without it nothing survives a restart. */
  store?: SealStateStore;
  /** Alarm images (SnapshotStore). Without it alarms carry no image. */
  snapshots?: SnapshotSource;
  logger?: Logger;
  /** Events kept in memory while the store is failing; beyond it the oldest are dropped (and counted). */
  pendingCapacity?: number;
  /** A camera's persisted counter baseline is refreshed at least this often even when nothing moved. */
  baselineRefreshMs?: number;
  /**
   * Subscribed before the engine restores its state, so it also sees the events raised while
   * constructing (a new shift, alarms of cameras no longer configured, a changed declared mode).
   */
  onEvent?: (e: SealEvent) => void;
}

export const SEAL_ENGINE_DEFAULTS = {
  pendingCapacity: 10_000,
  baselineRefreshMs: 60_000,
} as const;

export interface ModeChange {
  operator: string;
  reason: string;
}

export type CameraState = 'unknown' | 'online' | 'offline';

export interface SealCameraStatus {
  id: string;
  shaftMouth: string;
  position: string;
  state: CameraState;
  tamper: SealTamper | null;
  /** Raw counter registers as last read. */
  counters: CounterSet | null;
  bootCount: number | null;
  lastSampleWall: number | null;
  lastError: string | null;
}

export interface ShaftMouthStatus {
  id: string;
  name: string;
  mode: SealMode;
  modeSinceWall: number;
  modeOperator: string | null;
  modeReason: string | null;
  /** Crossings since the shift start, in the mine's direction. */
  totals: CounterSet;
  cameras: string[];
}

export interface SealLoadStatus {
  id: string;
  name: string;
  shaftMouth: string;
  production: boolean;
  idleKw: number;
  powerKw: number | null;
  powerQuality: Quality | null;
  energyKwh: number | null;
  readingWall: number | null;
}

/** Everything the status screen shows (renderSeals). */
export interface SealsState {
  wallTime: number;
  shiftStartWall: number;
  baseline: number;
  sealHeadcount: number;
  positioningHeadcount: number | null;
  positioningOnline: boolean;
  /**
   * While positioning is not online: why the card and headcount cross-checks are unknown (not
   * zero), naming the readers; null when online.
   */
  positioningUnknownBecause: string | null;
  shaftMouths: ShaftMouthStatus[];
  cameras: SealCameraStatus[];
  loads: SealLoadStatus[];
  alarms: SealAlarm[];
  store: { pendingEvents: number; droppedEvents: number; lastError: string | null };
}

/** An input reached the engine after close(). */
export class SealEngineClosedError extends MinegateError<'closed'> {
  override readonly name = 'SealEngineClosedError';
  constructor() {
    super('closed', 'SealEngine is closed');
  }
}
