// The live state the seal rules share: each shaft mouth (mode, totals, recent entries), camera and
// load as configured and last seen, plus the helpers every rule needs. Each rule file owns its own
// clocks and counters; what several rules read lives here.
import type { Logger } from '../log.js';
import type { SealCameraConfig, SealConfig, SealLoadConfig, ShaftMouthConfig } from '../../board-configs/seal-schema.js';
import type { CounterSet, SealCameraCounter, SealTamper } from '../../drivers/seal-camera.js';
import type { Clock } from '../../core/clock.js';
import type { Quality } from '../../core/readings.js';
import type { CameraState } from './engine-types.js';
import type { PersonnelView } from './personnel-view.js';
import type { PersistedMode } from './store.js';

export interface MouthRt {
  cfg: ShaftMouthConfig;
  mode: PersistedMode;
  totals: CounterSet;
  /** Persons counted into the mine (for the card check), by time. */
  entries: Stamp[];
}

export interface Stamp {
  wall: number;
  count: number;
  cameraId: string;
}

export interface CameraRt {
  cfg: SealCameraConfig;
  mouth: MouthRt;
  counter: SealCameraCounter;
  state: CameraState;
  failures: number;
  tamper: SealTamper | null;
  raw: CounterSet | null;
  bootCount: number | null;
  lastSampleWall: number | null;
  lastError: string | null;
  persistedWall: number | null;
}

export interface LoadRt {
  cfg: SealLoadConfig;
  mouth: MouthRt;
  sustainMs: number;
  powerKw: number | null;
  powerQuality: Quality | null;
  energyKwh: number | null;
  readingWall: number | null;
  aboveSince: number | null;
  belowSince: number | null;
}

/** The subject of the mine-wide alarms (headcount mismatch, positioning silent). */
export const MINE = 'mine';

export const zero = (): CounterSet => ({ peopleIn: 0, peopleOut: 0, vehiclesIn: 0, vehiclesOut: 0 });
export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export class SealRuntime {
  readonly mouths = new Map<string, MouthRt>();
  readonly cameras = new Map<string, CameraRt>();
  readonly loads: LoadRt[] = [];
  /** Something the store must see has changed since the last write (persist clears it). */
  dirty = false;

  constructor(
    readonly config: SealConfig,
    readonly personnel: PersonnelView,
    readonly clock: Clock,
    readonly log: Logger | undefined,
  ) {}

  camera(cameraId: string): CameraRt {
    const cam = this.cameras.get(cameraId);
    if (!cam) throw new RangeError(`no seal camera "${cameraId}" (cameras: ${[...this.cameras.keys()].join(', ')})`);
    return cam;
  }

  minePosition(): string {
    return [...this.mouths.values()].map((m) => m.cfg.name).join(', ');
  }

  /** The personnel view belongs to another capability: its failure must not stop the seal rules. */
  safe<T, F>(fn: () => T, fallback: F): T | F {
    try {
      return fn();
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'personnel view failed');
      return fallback;
    }
  }

  /** Whether the positioning readers are up (false when the view itself fails). */
  positioningOnline(): boolean {
    return this.safe(() => this.personnel.readersOnline(), false);
  }
}
