// The electronic seal engine: per shaft mouth mode (producing / stopped), crossings from the seal
// cameras, and the alarms built on them — 明停暗开 (any crossing, or a production load working,
// while stopped), camera tamper and offline, and the cross-checks against personnel positioning
// (person without card, headcount mismatch, seal counting while positioning is silent). Every alarm
// has a start and an end event. Inputs are pushed in (camera samples, read failures, power
// readings, tick); it never waits on disk, network or the snapshot fetch.
import type { Logger } from '../log.js';
import { type SealCameraConfig, type SealConfig, type SealLoadConfig, type SealMode, SealSchema, SEAL_MODES, type ShaftMouthConfig } from '../../board-configs/seal-schema.js';
import {
  type CounterEvent,
  type CounterSet,
  SEAL_COUNTERS,
  SealCameraCounter,
  type SealCounterName,
  type SealSample,
  type SealTamper,
  TAMPER_FLAGS,
  type TamperFlag,
} from '../../drivers/seal-camera.js';
import { type Clock, systemClock } from '../../core/clock.js';
// Messages show mine time with its zone (issue 14 item 8: one time rule), never UTC ISO.
import { formatTimeZoned } from '../../core/mine-time.js';
import { isUsable, type Quality, type Reading } from '../../core/readings.js';
import { sealStructureProblems } from './config-checks.js';
import { SEAL_RULES, type SealAlarm, type SealEvent, type SealRuleId } from './events.js';
import type { PersonnelView } from './personnel-view.js';
import { parseShiftStarts, shiftStartAt } from './shift.js';
import type { SnapshotSource } from './snapshot.js';
import type { PersistedMode, PersistedSealState, SealStateStore } from './store.js';

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

interface MouthRt {
  cfg: ShaftMouthConfig;
  mode: PersistedMode;
  totals: CounterSet;
  /** Persons counted into the mine (for the card check), by time. */
  entries: Stamp[];
}

interface Stamp {
  wall: number;
  count: number;
  cameraId: string;
}

interface CameraRt {
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

interface LoadRt {
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

const TAMPER_RULES: Record<TamperFlag, SealRuleId> = { videoLost: 'video-lost', occluded: 'occluded', displaced: 'displaced', blurred: 'blurred' };
const TAMPER_TEXT: Record<TamperFlag, string> = { videoLost: 'video lost', occluded: 'lens occluded', displaced: 'camera displaced', blurred: 'image blurred' };
/** No image is possible when there is no video, or no camera. */
const NO_IMAGE_RULES: ReadonlySet<SealRuleId> = new Set(['video-lost', 'camera-offline', 'headcount-mismatch']);
const MINE = 'mine';

type EventInit = Omit<SealEvent, 'seq' | 'wallTime'>;

const zero = (): CounterSet => ({ peopleIn: 0, peopleOut: 0, vehiclesIn: 0, vehiclesOut: 0 });
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** An input reached the engine after close(). */
export class SealEngineClosedError extends Error {
  override readonly name = 'SealEngineClosedError';
  readonly code = 'closed' as const;
  constructor() {
    super('SealEngine is closed');
  }
}

export class SealEngine {
  readonly config: SealConfig;
  private readonly personnel: PersonnelView;
  private readonly clock: Clock;
  private readonly store: SealStateStore | undefined;
  private readonly snapshots: SnapshotSource | undefined;
  private readonly log: Logger | undefined;
  private readonly pendingCapacity: number;
  private readonly baselineRefreshMs: number;
  private readonly shiftMinutes: number[];

  private readonly mouths = new Map<string, MouthRt>();
  private readonly cameras = new Map<string, CameraRt>();
  private readonly loads: LoadRt[] = [];
  private readonly loadByPoint = new Map<string, { load: LoadRt; what: 'power' | 'energy' }>();
  private readonly alarms = new Map<string, SealAlarm>();
  private readonly listeners: ((e: SealEvent) => void)[] = [];

  private nextSeq = 1;
  private shiftStart = Number.NaN;
  private baseline = 0;
  /** Persons crossing in either direction (for the positioning-silent check), by time. */
  private personCrossings: Stamp[] = [];
  private mismatchSince: number | null = null;
  private matchSince: number | null = null;

  private pending: SealEvent[] = [];
  private dirty = false;
  private dropped = 0;
  private storeError: string | null = null;
  private readonly inflightImages = new Set<Promise<void>>();
  private closed = false;

  constructor(opts: SealEngineOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SealEngine options must be an object, got ${String(opts)}`);
    const parsed = SealSchema.safeParse(opts.config);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw new TypeError(`SealEngine config: seals.${first.path.join('.') || '(root)'}: ${first.message}`);
    }
    const structure = sealStructureProblems(parsed.data);
    if (structure.length > 0) throw new TypeError(`SealEngine config: seals.${structure[0]!.path.join('.')}: ${structure[0]!.message}`);
    const p = opts.personnel;
    if (!p || typeof p.undergroundCount !== 'function' || typeof p.checkInsAt !== 'function' || typeof p.lastSightingWallMs !== 'function' || typeof p.readersOnline !== 'function') {
      throw new TypeError(`SealEngine personnel must implement PersonnelView (undergroundCount, checkInsAt, lastSightingWallMs, readersOnline), got ${String(p)}`);
    }
    const clock = opts.clock ?? systemClock;
    if (typeof clock.wall !== 'function' || typeof clock.mono !== 'function') throw new TypeError(`SealEngine clock must have wall() and mono(), got ${String(opts.clock)}`);
    if (opts.store !== undefined && (typeof opts.store.load !== 'function' || typeof opts.store.write !== 'function')) {
      throw new TypeError(`SealEngine store must implement load() and write(), got ${String(opts.store)}`);
    }
    if (opts.snapshots !== undefined && typeof opts.snapshots.capture !== 'function') throw new TypeError(`SealEngine snapshots must implement capture(), got ${String(opts.snapshots)}`);
    const o = { ...SEAL_ENGINE_DEFAULTS, ...opts };
    if (!Number.isInteger(o.pendingCapacity) || o.pendingCapacity < 1) throw new TypeError(`SealEngine pendingCapacity must be an integer >= 1, got ${String(opts.pendingCapacity)}`);
    if (!Number.isFinite(o.baselineRefreshMs) || o.baselineRefreshMs <= 0) throw new TypeError(`SealEngine baselineRefreshMs must be a positive number of ms, got ${String(opts.baselineRefreshMs)}`);

    this.config = parsed.data;
    this.personnel = p;
    this.clock = clock;
    this.store = opts.store;
    this.snapshots = opts.snapshots;
    this.log = opts.logger?.child({ module: 'seals' });
    this.pendingCapacity = o.pendingCapacity;
    this.baselineRefreshMs = o.baselineRefreshMs;
    this.shiftMinutes = parseShiftStarts(this.config.shifts.starts);
    if (opts.onEvent !== undefined) this.onEvent(opts.onEvent);

    const now = clock.wall();
    const saved = this.store?.load() ?? null;
    const cams = this.config.cameras;
    for (const cfg of this.config.shaftMouths) {
      const mouth: MouthRt = { cfg, mode: { mode: cfg.mode, sinceWall: now, operator: null, reason: null, configMode: cfg.mode }, totals: zero(), entries: [] };
      this.mouths.set(cfg.id, mouth);
      for (const cam of cfg.cameras) {
        const baseline = saved?.cameras[cam.device] ?? null;
        this.cameras.set(cam.device, {
          cfg: cam,
          mouth,
          counter: new SealCameraCounter({ maxJump: cams.maxJump, maxCrossingsPerMinute: cams.maxCrossingsPerMinute, baseline }),
          state: 'unknown',
          failures: 0,
          tamper: null,
          raw: baseline ? { ...baseline.counters } : null,
          bootCount: baseline?.bootCount ?? null,
          lastSampleWall: null,
          lastError: null,
          persistedWall: baseline?.wallTime ?? null,
        });
      }
    }
    for (const cfg of this.config.loads) {
      const load: LoadRt = {
        cfg,
        mouth: this.mouths.get(cfg.shaftMouth)!,
        sustainMs: cfg.sustainMs ?? this.config.checks.powerSustainMs,
        powerKw: null,
        powerQuality: null,
        energyKwh: null,
        readingWall: null,
        aboveSince: null,
        belowSince: null,
      };
      this.loads.push(load);
      this.loadByPoint.set(cfg.powerPoint, { load, what: 'power' });
      if (cfg.energyPoint) this.loadByPoint.set(cfg.energyPoint, { load, what: 'energy' });
    }
    if (saved) this.restore(saved, now);
    this.rollShift(now);
    this.persist();
  }

  // ---- Inputs ----------------------------------------------------------------------------------

  /** Subscribe to every event as it is raised (before it is stored). Returns an unsubscribe function. */
  onEvent(listener: (e: SealEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError(`onEvent listener must be a function, got ${String(listener)}`);
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Device ids of every seal camera, in config order. */
  get cameraIds(): string[] {
    return [...this.cameras.keys()];
  }

  /** A successful read of a camera. */
  observe(cameraId: string, sample: SealSample): void {
    this.assertOpen();
    const cam = this.camera(cameraId);
    const now = this.clock.wall();
    this.rollShift(now);
    const wasOffline = this.alarms.get(`camera-offline:${cameraId}`);
    cam.state = 'online';
    cam.failures = 0;
    cam.lastError = null;
    cam.lastSampleWall = now;
    if (wasOffline) this.clear(wasOffline, `${cam.cfg.position}: camera answers again`, now);

    const changed = cam.raw === null || cam.bootCount !== sample.bootCount || SEAL_COUNTERS.some((c) => cam.raw![c] !== sample.counters[c]);
    cam.raw = { ...sample.counters };
    cam.bootCount = sample.bootCount;
    for (const e of cam.counter.update(sample)) this.onCounterEvent(cam, e, now);
    // The baseline is what makes a restart count each crossing once: keep it current on disk.
    if (changed || cam.persistedWall === null || now - cam.persistedWall >= this.baselineRefreshMs) {
      this.dirty = true;
      cam.persistedWall = now;
    }

    cam.tamper = { ...sample.tamper };
    for (const flag of TAMPER_FLAGS) {
      const key = `${TAMPER_RULES[flag]}:${cameraId}`;
      const active = this.alarms.get(key);
      if (sample.tamper[flag] && !active) {
        this.raise(TAMPER_RULES[flag], cameraId, { shaftMouth: cam.mouth.cfg.id, cameraId, position: cam.cfg.position, message: `${SEAL_RULES[TAMPER_RULES[flag]]}: ${cam.cfg.position} (${cam.mouth.cfg.name}) ${TAMPER_TEXT[flag]}` }, now);
      } else if (!sample.tamper[flag] && active) {
        this.clear(active, `${cam.cfg.position}: ${TAMPER_TEXT[flag]} no longer`, now);
      }
    }
    this.evaluate(now);
    this.persist();
  }

  /** A failed read of a camera (timeout, exception, link down). */
  readFailed(cameraId: string, error: unknown): void {
    this.assertOpen();
    const cam = this.camera(cameraId);
    const now = this.clock.wall();
    cam.failures++;
    cam.lastError = error instanceof Error ? error.message : String(error);
    if (cam.failures >= this.config.cameras.offlineAfterFailures && cam.state !== 'offline') {
      cam.state = 'offline';
      if (!this.alarms.has(`camera-offline:${cameraId}`)) {
        this.raise('camera-offline', cameraId, { shaftMouth: cam.mouth.cfg.id, cameraId, position: cam.cfg.position, message: `${SEAL_RULES['camera-offline']}: ${cam.cfg.position} (${cam.mouth.cfg.name}) not answering: ${cam.lastError}` }, now);
      }
    }
    this.evaluate(now);
    this.persist();
  }

  /** Readings of the gateway's points; those of configured loads are used, others ignored. */
  onReading(reading: Reading): void {
    this.assertOpen();
    const hit = this.loadByPoint.get(reading.point);
    if (!hit) return;
    const { load, what } = hit;
    const now = this.clock.wall();
    if (what === 'energy') {
      load.energyKwh = isUsable(reading) ? reading.value : null;
      return;
    }
    load.powerQuality = reading.quality;
    load.readingWall = reading.wallTime;
    // An untrusted reading says nothing either way: keep the timers as they are.
    load.powerKw = isUsable(reading) ? reading.value : null;
    this.evaluatePower(load, now);
    this.persist();
  }

  /** Switch a shaft mouth between producing and stopped (by an operator, with a reason; persisted). */
  setMode(mouthId: string, mode: SealMode, change: ModeChange): boolean {
    const mouth = this.mouths.get(mouthId);
    if (!mouth) throw new RangeError(`no shaft mouth "${mouthId}" (shaft mouths: ${[...this.mouths.keys()].join(', ')})`);
    if (!(SEAL_MODES as readonly string[]).includes(mode)) throw new TypeError(`mode must be one of ${SEAL_MODES.join(', ')}, got ${String(mode)}`);
    if (!change || typeof change.operator !== 'string' || change.operator.trim() === '') throw new TypeError(`a mode change needs the operator's name, got ${JSON.stringify(change?.operator)}`);
    if (typeof change.reason !== 'string' || change.reason.trim() === '') throw new TypeError(`a mode change needs a reason, got ${JSON.stringify(change.reason)}`);
    this.assertOpen();
    if (mouth.mode.mode === mode) return false;
    const now = this.clock.wall();
    this.applyMode(mouth, mode, change.operator, change.reason, now);
    this.evaluate(now);
    this.persist();
    return true;
  }

  /** Time-based rules (windows, sustain times, shift starts). Call about once a second. */
  tick(): void {
    this.assertOpen();
    const now = this.clock.wall();
    this.rollShift(now);
    this.evaluate(now);
    this.persist();
  }

  /** Wait for image fetches in flight and write what is pending. No input is accepted afterwards. */
  async close(): Promise<void> {
    while (this.inflightImages.size > 0) await Promise.allSettled([...this.inflightImages]);
    this.persist();
    this.closed = true;
  }

  // ---- Outputs ---------------------------------------------------------------------------------

  activeAlarms(): SealAlarm[] {
    return [...this.alarms.values()].map((a) => ({ ...a }));
  }

  private positioningUnknownBecause(): string {
    const readers = this.safe(() => this.personnel.offlineReaders?.() ?? [], []);
    return readers.length > 0 ? `card and headcount checks unknown: ${readers.join(', ')}` : 'card and headcount checks unknown: positioning readers offline';
  }

  /** Seal headcount: baseline at the shift start plus persons in minus out since, at every mouth. */
  get sealHeadcount(): number {
    let n = this.baseline;
    for (const m of this.mouths.values()) n += m.totals.peopleIn - m.totals.peopleOut;
    return n;
  }

  state(): SealsState {
    const online = this.safe(() => this.personnel.readersOnline(), false);
    return {
      wallTime: this.clock.wall(),
      shiftStartWall: this.shiftStart,
      baseline: this.baseline,
      sealHeadcount: this.sealHeadcount,
      positioningHeadcount: online ? this.safe(() => this.personnel.undergroundCount(), null) : null,
      positioningOnline: online,
      positioningUnknownBecause: online ? null : this.positioningUnknownBecause(),
      shaftMouths: [...this.mouths.values()].map((m) => ({
        id: m.cfg.id,
        name: m.cfg.name,
        mode: m.mode.mode,
        modeSinceWall: m.mode.sinceWall,
        modeOperator: m.mode.operator,
        modeReason: m.mode.reason,
        totals: { ...m.totals },
        cameras: m.cfg.cameras.map((c) => c.device),
      })),
      cameras: [...this.cameras.values()].map((c) => ({
        id: c.cfg.device,
        shaftMouth: c.mouth.cfg.id,
        position: c.cfg.position,
        state: c.state,
        tamper: c.tamper ? { ...c.tamper } : null,
        counters: c.raw ? { ...c.raw } : null,
        bootCount: c.bootCount,
        lastSampleWall: c.lastSampleWall,
        lastError: c.lastError,
      })),
      loads: this.loads.map((l) => ({
        id: l.cfg.id,
        name: l.cfg.name,
        shaftMouth: l.cfg.shaftMouth,
        production: l.cfg.production,
        idleKw: l.cfg.idleKw,
        powerKw: l.powerKw,
        powerQuality: l.powerQuality,
        energyKwh: l.energyKwh,
        readingWall: l.readingWall,
      })),
      alarms: this.activeAlarms(),
      store: { pendingEvents: this.pending.length, droppedEvents: this.dropped, lastError: this.storeError },
    };
  }

  // ---- Counting --------------------------------------------------------------------------------

  private onCounterEvent(cam: CameraRt, e: CounterEvent, now: number): void {
    const mouth = cam.mouth;
    const base = { shaftMouth: mouth.cfg.id, cameraId: cam.cfg.device, position: cam.cfg.position };
    if (e.type === 'restarted') {
      const u = e.unverified;
      const moved = u.peopleIn + u.peopleOut + u.vehiclesIn + u.vehiclesOut;
      this.event({
        type: 'camera-restarted',
        ...base,
        reason: e.reason,
        count: moved,
        message: `${cam.cfg.position}: camera restarted (${e.reason}); counting resumes from its new counters${moved > 0 ? `, ${moved} crossings across the restart could not be verified and were not counted (people in ${u.peopleIn}, out ${u.peopleOut}, vehicles in ${u.vehiclesIn}, out ${u.vehiclesOut})` : ''}`,
      }, now);
      return;
    }
    if (e.type === 'jump') {
      this.event({
        type: 'counter-jump',
        ...base,
        counter: this.mineDirection(cam, e.counter),
        message: `${cam.cfg.position}: ${e.counter} jumped from ${e.from} to ${e.to}, beyond the ${e.allowance} crossings possible since the last read; not counted`,
      }, now);
      return;
    }
    const counter = this.mineDirection(cam, e.counter);
    mouth.totals[counter] += e.count;
    this.dirty = true;
    const person = counter === 'peopleIn' || counter === 'peopleOut';
    const inward = counter === 'peopleIn' || counter === 'vehiclesIn';
    const what = person ? plural(e.count, 'person', 'persons') : plural(e.count, 'vehicle', 'vehicles');
    this.event({ type: 'crossing', ...base, counter, count: e.count, message: `${what} ${inward ? 'entered' : 'left'} the mine at ${mouth.cfg.name} (${cam.cfg.position})` }, now);
    if (person) this.personCrossings.push({ wall: now, count: e.count, cameraId: cam.cfg.device });
    if (counter === 'peopleIn') mouth.entries.push({ wall: now, count: e.count, cameraId: cam.cfg.device });

    if (mouth.mode.mode === 'stopped') {
      const key = `stopped-crossing:${mouth.cfg.id}`;
      const active = this.alarms.get(key);
      if (!active) {
        this.raise('stopped-crossing', mouth.cfg.id, { ...base, count: e.count, message: `${SEAL_RULES['stopped-crossing']}: ${what} ${inward ? 'entered' : 'left'} at ${mouth.cfg.name} (${cam.cfg.position}), declared stopped since ${formatTimeZoned(mouth.mode.sinceWall, this.config.shifts.tzOffsetMinutes)}` }, now);
      } else {
        active.lastWall = now;
        this.update(active, { count: (active.count ?? 0) + e.count, cameraId: cam.cfg.device, position: cam.cfg.position, message: `${SEAL_RULES['stopped-crossing']}: ${plural((active.count ?? 0) + e.count, 'crossing', 'crossings')} at ${mouth.cfg.name} while stopped; latest ${what} ${inward ? 'in' : 'out'} (${cam.cfg.position})` }, now);
      }
    }
  }

  /** A camera mounted the other way round counts "in" for persons leaving the mine. */
  private mineDirection(cam: CameraRt, counter: SealCounterName): SealCounterName {
    if (cam.cfg.inMeans === 'into-mine') return counter;
    const swap: Record<SealCounterName, SealCounterName> = { peopleIn: 'peopleOut', peopleOut: 'peopleIn', vehiclesIn: 'vehiclesOut', vehiclesOut: 'vehiclesIn' };
    return swap[counter];
  }

  // ---- Rules -----------------------------------------------------------------------------------

  private evaluate(now: number): void {
    const checks = this.config.checks;
    for (const mouth of this.mouths.values()) {
      const active = this.alarms.get(`stopped-crossing:${mouth.cfg.id}`);
      if (active && now - active.lastWall >= checks.stoppedCrossingClearMs) {
        this.clear(active, `${mouth.cfg.name}: no crossing for ${Math.round(checks.stoppedCrossingClearMs / 1000)} s`, now);
      }
    }
    const online = this.safe(() => this.personnel.readersOnline(), false);
    for (const mouth of this.mouths.values()) this.checkCards(mouth, online, now);
    this.checkHeadcount(online, now);
    this.checkPositioningSilent(online, now);
    for (const load of this.loads) this.evaluatePower(load, now);
  }

  /** Persons counted into the mine that no card check-in at the mouth accounts for. */
  private checkCards(mouth: MouthRt, online: boolean, now: number): void {
    const { cardWindowMs: w, cardGraceMs: g, cardTolerance } = this.config.checks;
    mouth.entries = mouth.entries.filter((s) => s.wall > now - w - g);
    const station = mouth.cfg.personnelStation;
    // Readers down: check-ins are unknown, not zero. The positioning-silent rule covers that case.
    if (station === undefined || !online) return;
    const key = `person-without-card:${mouth.cfg.id}`;
    const active = this.alarms.get(key);
    // Entries old enough for their card to have registered, against check-ins up to `g` either side.
    const counted = mouth.entries.filter((s) => s.wall > now - w && s.wall <= now - g);
    const entries = counted.reduce((n, s) => n + s.count, 0);
    const checkIns = this.safe(() => this.personnel.checkInsAt(station, now - w - g), null);
    if (checkIns === null) return;
    const unmatched = entries - checkIns;
    if (unmatched > cardTolerance) {
      const cameraId = counted[counted.length - 1]!.cameraId;
      const cam = this.cameras.get(cameraId)!;
      const message = `${SEAL_RULES['person-without-card']}: ${mouth.cfg.name} counted ${plural(entries, 'person', 'persons')} entering in the last ${Math.round(w / 1000)} s, but only ${checkIns} card check-ins at ${station}`;
      if (!active) this.raise('person-without-card', mouth.cfg.id, { shaftMouth: mouth.cfg.id, cameraId, position: cam.cfg.position, count: unmatched, message }, now);
      else if (active.count !== unmatched) this.update(active, { count: unmatched, message }, now);
    } else if (active) {
      this.clear(active, `${mouth.cfg.name}: seal entries and card check-ins agree again`, now);
    }
  }

  private checkHeadcount(online: boolean, now: number): void {
    const { headcountTolerance: tol, headcountSustainMs: sustain } = this.config.checks;
    const key = `headcount-mismatch:${MINE}`;
    const active = this.alarms.get(key);
    const positioning = online ? this.safe(() => this.personnel.undergroundCount(), null) : null;
    if (positioning === null) {
      // Nothing to compare with; the sustain clocks restart when positioning is back.
      this.mismatchSince = null;
      this.matchSince = null;
      return;
    }
    const seal = this.sealHeadcount;
    const diff = Math.abs(seal - positioning);
    const message = `${SEAL_RULES['headcount-mismatch']}: seal ${seal} (shift baseline ${this.baseline}), positioning ${positioning}, tolerance ±${tol}`;
    if (diff > tol) {
      this.matchSince = null;
      this.mismatchSince ??= now;
      if (!active && now - this.mismatchSince >= sustain) this.raise('headcount-mismatch', MINE, { position: this.minePosition(), count: diff, message }, now);
      else if (active && active.count !== diff) this.update(active, { count: diff, message }, now);
    } else {
      this.mismatchSince = null;
      this.matchSince ??= now;
      if (active && now - this.matchSince >= sustain) this.clear(active, `headcounts agree again: seal ${seal}, positioning ${positioning}`, now);
    }
  }

  private checkPositioningSilent(online: boolean, now: number): void {
    const { positioningSilentMs: s, cardGraceMs: g } = this.config.checks;
    this.personCrossings = this.personCrossings.filter((c) => c.wall >= now - s);
    const key = `positioning-silent:${MINE}`;
    const active = this.alarms.get(key);
    const last = this.safe(() => this.personnel.lastSightingWallMs(), null);
    const silent = !online || last === null || now - last > s;
    if (!silent) {
      if (active) this.clear(active, 'positioning sees cards again', now);
      return;
    }
    // Crossings old enough that the card of a person who had one would have been seen by now.
    const seen = this.personCrossings.filter((c) => c.wall <= now - g);
    if (seen.length === 0 || active) return;
    const count = seen.reduce((n, c) => n + c.count, 0);
    const latest = this.cameras.get(seen[seen.length - 1]!.cameraId)!;
    const why = !online ? 'positioning readers offline' : last === null ? 'no card seen since start' : `no card seen for ${Math.round((now - last) / 1000)} s`;
    this.raise('positioning-silent', MINE, { shaftMouth: latest.mouth.cfg.id, cameraId: latest.cfg.device, position: latest.cfg.position, count, message: `${SEAL_RULES['positioning-silent']}: seal counted ${plural(count, 'person', 'persons')} crossing (latest at ${latest.cfg.position}), ${why}` }, now);
  }

  private evaluatePower(load: LoadRt, now: number): void {
    const key = `stopped-power:${load.cfg.id}`;
    const active = this.alarms.get(key);
    if (!load.cfg.production || load.mouth.mode.mode !== 'stopped') {
      load.aboveSince = null;
      load.belowSince = null;
      if (active) this.clear(active, `${load.cfg.name}: ${load.mouth.cfg.name} is producing`, now);
      return;
    }
    if (load.powerKw === null) return;
    const kw = load.powerKw;
    if (kw > load.cfg.idleKw) {
      load.belowSince = null;
      load.aboveSince ??= now;
      if (active) {
        active.value = Math.max(active.value ?? 0, kw);
      } else if (now - load.aboveSince >= load.sustainMs) {
        const cam = load.mouth.cfg.cameras[0]!;
        this.raise('stopped-power', load.cfg.id, {
          shaftMouth: load.mouth.cfg.id,
          cameraId: cam.device,
          position: load.cfg.name,
          load: load.cfg.id,
          value: kw,
          message: `${SEAL_RULES['stopped-power']}: ${load.cfg.name} draws ${kw.toFixed(1)} kW (idle ≤ ${load.cfg.idleKw} kW) for ${Math.round((now - load.aboveSince) / 1000)} s while ${load.mouth.cfg.name} is declared stopped`,
        }, now);
      }
    } else {
      load.aboveSince = null;
      load.belowSince ??= now;
      if (active && now - load.belowSince >= load.sustainMs) this.clear(active, `${load.cfg.name} back at idle (${kw.toFixed(1)} kW)`, now);
    }
  }

  private applyMode(mouth: MouthRt, mode: SealMode, operator: string, reason: string, now: number): void {
    const from = mouth.mode.mode;
    mouth.mode = { mode, sinceWall: now, operator, reason, configMode: mouth.cfg.mode };
    this.dirty = true;
    this.event({ type: 'mode-changed', shaftMouth: mouth.cfg.id, position: mouth.cfg.name, operator, reason, message: `${mouth.cfg.name}: ${from} → ${mode} by ${operator}: ${reason}` }, now);
    if (mode === 'producing') {
      const active = this.alarms.get(`stopped-crossing:${mouth.cfg.id}`);
      if (active) this.clear(active, `${mouth.cfg.name} declared producing by ${operator}`, now);
    }
  }

  // ---- Shift -----------------------------------------------------------------------------------

  private rollShift(now: number): void {
    const start = shiftStartAt(now, this.shiftMinutes, this.config.shifts.tzOffsetMinutes);
    if (start === this.shiftStart) return;
    // A clock stepped back into the previous shift keeps the current one: never recount a shift.
    if (!Number.isNaN(this.shiftStart) && start < this.shiftStart) return;
    const first = Number.isNaN(this.shiftStart);
    const carried = this.sealHeadcount;
    let source: string;
    if (this.config.shifts.baseline === 'zero') {
      this.baseline = 0;
      source = 'zero by configuration';
    } else {
      const positioning = this.safe(() => (this.personnel.readersOnline() ? this.personnel.undergroundCount() : null), null);
      if (positioning !== null) {
        this.baseline = positioning;
        source = 'positioning headcount';
      } else {
        this.baseline = first ? 0 : carried;
        source = first ? 'zero (positioning offline at first start)' : 'seal headcount carried over (positioning offline)';
      }
    }
    this.shiftStart = start;
    for (const m of this.mouths.values()) m.totals = zero();
    this.mismatchSince = null;
    this.matchSince = null;
    this.dirty = true;
    this.event({ type: 'shift-started', position: this.minePosition(), count: this.baseline, message: `shift started at ${formatTimeZoned(start, this.config.shifts.tzOffsetMinutes)}; seal headcount baseline ${this.baseline} (${source})` }, now);
  }

  // ---- Alarms and events -----------------------------------------------------------------------

  private raise(rule: SealRuleId, subject: string, init: Omit<SealAlarm, 'id' | 'key' | 'rule' | 'sinceWall' | 'lastWall'>, now: number): SealAlarm {
    const key = `${rule}:${subject}`;
    const alarm: SealAlarm = { ...init, id: `${key}@${now}`, key, rule, sinceWall: now, lastWall: now };
    this.alarms.set(key, alarm);
    this.dirty = true;
    this.event({ type: 'alarm-on', ...this.alarmFields(alarm), message: alarm.message }, now);
    this.captureImage(alarm, now);
    return alarm;
  }

  private update(alarm: SealAlarm, patch: Partial<Pick<SealAlarm, 'count' | 'value' | 'message' | 'cameraId' | 'position'>>, now: number): void {
    Object.assign(alarm, patch);
    this.dirty = true;
    this.event({ type: 'alarm-update', ...this.alarmFields(alarm), message: alarm.message }, now);
  }

  private clear(alarm: SealAlarm, why: string, now: number): void {
    this.alarms.delete(alarm.key);
    this.dirty = true;
    this.event({ type: 'alarm-off', ...this.alarmFields(alarm), message: `${SEAL_RULES[alarm.rule]} ended: ${why}` }, now);
  }

  private alarmFields(a: SealAlarm): Omit<EventInit, 'type' | 'message'> {
    const f: Omit<EventInit, 'type' | 'message'> = { rule: a.rule, alarmId: a.id, position: a.position };
    if (a.shaftMouth !== undefined) f.shaftMouth = a.shaftMouth;
    if (a.cameraId !== undefined) f.cameraId = a.cameraId;
    if (a.load !== undefined) f.load = a.load;
    if (a.count !== undefined) f.count = a.count;
    if (a.value !== undefined) f.value = a.value;
    if (a.imageRef !== undefined) f.imageRef = a.imageRef;
    return f;
  }

  private captureImage(alarm: SealAlarm, now: number): void {
    if (!this.snapshots || !alarm.cameraId || NO_IMAGE_RULES.has(alarm.rule)) return;
    const cam = this.cameras.get(alarm.cameraId);
    const url = cam?.cfg.snapshotUrl;
    if (!cam || !url || cam.state === 'offline') return;
    const cameraId = alarm.cameraId;
    const done = this.snapshots
      .capture({ cameraId, url, alarmId: alarm.id, wallTime: now })
      .then(
        (ref) => {
          if (this.closed) return;
          // The alarm may have ended meanwhile; the image still belongs to it.
          const live = this.alarms.get(alarm.key);
          if (live && live.id === alarm.id) live.imageRef = ref;
          this.event({ type: 'image', ...this.alarmFields(alarm), cameraId, imageRef: ref, message: `${SEAL_RULES[alarm.rule]}: image stored` }, this.clock.wall());
        },
        (err: unknown) => {
          if (this.closed) return;
          const why = err instanceof Error ? err.message : String(err);
          this.log?.warn({ camera: cameraId, alarm: alarm.id, err: why }, 'alarm image not stored');
          this.event({ type: 'image', ...this.alarmFields(alarm), cameraId, reason: why, message: `${SEAL_RULES[alarm.rule]}: no image (${why})` }, this.clock.wall());
        },
      )
      .finally(() => {
        this.inflightImages.delete(done);
        if (!this.closed) this.persist();
      });
    this.inflightImages.add(done);
  }

  private event(init: EventInit, now: number): void {
    const e: SealEvent = { seq: this.nextSeq++, wallTime: now, ...init };
    this.pending.push(e);
    if (this.pending.length > this.pendingCapacity) {
      const excess = this.pending.length - this.pendingCapacity;
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        // A consumer's bug must not stop the seal rules.
        this.log?.error({ err: err instanceof Error ? err.message : String(err), seq: e.seq }, 'seal event listener threw');
      }
    }
  }

  // ---- Persistence -----------------------------------------------------------------------------

  private persist(): void {
    if (!this.store) {
      this.pending = [];
      this.dirty = false;
      return;
    }
    // Say how many were lost once the store takes writes again (the notice itself is then written).
    if (this.dropped > 0 && this.storeError === null) {
      const n = this.dropped;
      this.dropped = 0;
      this.event({ type: 'events-dropped', position: this.minePosition(), count: n, message: `${n} seal events were dropped while the store was failing` }, this.clock.wall());
    }
    if (!this.dirty && this.pending.length === 0) return;
    try {
      this.store.write({ state: this.snapshotState(), events: this.pending });
      this.pending = [];
      this.dirty = false;
      if (this.storeError !== null) this.log?.info('seal store writable again');
      this.storeError = null;
      if (this.dropped > 0) this.persist();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (this.storeError === null) this.log?.warn({ err: why, pending: this.pending.length }, 'seal store write failed; keeping events in memory and retrying');
      this.storeError = why;
    }
  }

  private snapshotState(): PersistedSealState {
    const totals: Record<string, CounterSet> = {};
    const modes: Record<string, PersistedMode> = {};
    for (const m of this.mouths.values()) {
      totals[m.cfg.id] = { ...m.totals };
      modes[m.cfg.id] = { ...m.mode };
    }
    const cameras: PersistedSealState['cameras'] = {};
    for (const [id, c] of this.cameras) {
      const b = c.counter.baseline;
      if (b) cameras[id] = b;
    }
    return {
      version: 1,
      nextSeq: this.nextSeq,
      shift: Number.isNaN(this.shiftStart) ? null : { startWall: this.shiftStart, baseline: this.baseline, totals },
      modes,
      cameras,
      alarms: [...this.alarms.values()].map((a) => ({ ...a })),
      entries: Object.fromEntries([...this.mouths.values()].map((m) => [m.cfg.id, m.entries.map((e) => ({ ...e }))])),
      savedWall: this.clock.wall(),
    };
  }

  private restore(saved: PersistedSealState, now: number): void {
    this.nextSeq = Math.max(this.nextSeq, saved.nextSeq);
    if (saved.shift) {
      this.shiftStart = saved.shift.startWall;
      this.baseline = saved.shift.baseline;
      for (const [id, t] of Object.entries(saved.shift.totals)) {
        const m = this.mouths.get(id);
        if (m) m.totals = { ...zero(), ...t };
      }
    }
    for (const [id, mode] of Object.entries(saved.modes)) {
      const m = this.mouths.get(id);
      if (!m) continue;
      // An operator's switch survives a restart, unless the declared mode in the config was changed
      // since (a new official stop order written into the config must win over an old switch).
      if (mode.configMode === m.cfg.mode) m.mode = { ...mode };
      else if (mode.mode === m.cfg.mode) {
        m.mode = { ...mode, configMode: m.cfg.mode };
        this.dirty = true;
      }
      else this.applyMode(m, m.cfg.mode, 'config', `declared mode in the config changed from ${mode.configMode} to ${m.cfg.mode}`, now);
    }
    // The entries of the card check's window survive a restart like the check-ins they are matched
    // with (PersonnelCapability.rebuildCheckIns): a person without a card who walked in just before a
    // restart must still raise 人员未带卡 (domain.md §3: all persons entering must carry a card, S23;
    // 矿安综〔2021〕60号 forbids entry without a card, S20). Old documents have none.
    for (const [id, list] of Object.entries(saved.entries ?? {})) {
      const m = this.mouths.get(id);
      if (!m) continue;
      m.entries = list.filter((e) => this.cameras.has(e.cameraId) && Number.isFinite(e.wall) && Number.isInteger(e.count)).map((e) => ({ ...e }));
    }
    for (const a of saved.alarms) {
      const known =
        (a.shaftMouth === undefined || this.mouths.has(a.shaftMouth)) &&
        (a.cameraId === undefined || this.cameras.has(a.cameraId)) &&
        (a.load === undefined || this.loads.some((l) => l.cfg.id === a.load));
      if (known) this.alarms.set(a.key, { ...a });
      else this.event({ type: 'alarm-off', ...this.alarmFields(a), message: `${SEAL_RULES[a.rule]} ended: no longer configured` }, now);
    }
    for (const a of this.alarms.values()) {
      // A camera that was offline must prove itself again before its alarm ends.
      if (a.rule === 'camera-offline' && a.cameraId) this.cameras.get(a.cameraId)!.state = 'offline';
    }
  }

  // ---- Helpers ---------------------------------------------------------------------------------

  /** After close() the state on disk is final: a late input would be lost or written behind it. */
  private assertOpen(): void {
    if (this.closed) throw new SealEngineClosedError();
  }

  private camera(cameraId: string): CameraRt {
    const cam = this.cameras.get(cameraId);
    if (!cam) throw new RangeError(`no seal camera "${cameraId}" (cameras: ${[...this.cameras.keys()].join(', ')})`);
    return cam;
  }

  private minePosition(): string {
    return [...this.mouths.values()].map((m) => m.cfg.name).join(', ');
  }

  /** The personnel view belongs to another capability: its failure must not stop the seal rules. */
  private safe<T, F>(fn: () => T, fallback: F): T | F {
    try {
      return fn();
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'personnel view failed');
      return fallback;
    }
  }
}
