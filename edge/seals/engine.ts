// The electronic seal engine: per shaft mouth mode (producing / stopped), crossings from the seal
// cameras, and the alarms built on them — 明停暗开 (any crossing, or a production load working,
// while stopped), camera tamper and offline, and the cross-checks against personnel positioning
// (person without card, headcount mismatch, seal counting while positioning is silent). Every alarm
// has a start and an end event. Inputs are pushed in (camera samples, read failures, power
// readings, tick); it never waits on disk, network or the snapshot fetch.
// This file is the facade: it checks the options, wires the rules (each in its own file, owning
// its own state) and routes every input through them in a fixed order.
import { type SealConfig, type SealMode, SealSchema, SEAL_MODES } from '../../board-configs/seal-schema.js';
import { SealCameraCounter, type SealSample } from '../../drivers/seal-camera.js';
import { systemClock } from '../../core/clock.js';
import { isUsable, type Reading } from '../../core/readings.js';
import { AlarmBook } from './alarm-book.js';
import { AlarmImages } from './alarm-images.js';
import { CameraHealth } from './camera-health.js';
import { sealStructureProblems } from './config-checks.js';
import { CrossingCount } from './crossing-count.js';
import { type ModeChange, SEAL_ENGINE_DEFAULTS, SealEngineClosedError, type SealEngineOptions, type SealsState } from './engine-types.js';
import { SealEventLog } from './event-log.js';
import type { SealAlarm, SealEvent } from './events.js';
import { IllegalProduction } from './illegal-production.js';
import { PersonnelChecks } from './personnel-checks.js';
import { SealPersistence } from './seal-persistence.js';
import { type LoadRt, type MouthRt, SealRuntime, zero } from './seal-runtime.js';
import { ShiftHeadcount } from './shift-headcount.js';
import type { PersistedSealState } from './store.js';

// The public types live in engine-types.ts; callers keep importing them from here.
export {
  type CameraState,
  type ModeChange,
  SEAL_ENGINE_DEFAULTS,
  SealEngineClosedError,
  type SealCameraStatus,
  type SealEngineOptions,
  type SealLoadStatus,
  type SealsState,
  type ShaftMouthStatus,
} from './engine-types.js';

export class SealEngine {
  readonly config: SealConfig;
  private readonly rt: SealRuntime;
  private readonly events: SealEventLog;
  private readonly alarms: AlarmBook;
  private readonly images: AlarmImages;
  private readonly health: CameraHealth;
  private readonly production: IllegalProduction;
  private readonly checks: PersonnelChecks;
  private readonly shift: ShiftHeadcount;
  private readonly counting: CrossingCount;
  private readonly persistence: SealPersistence;
  private readonly loadByPoint = new Map<string, { load: LoadRt; what: 'power' | 'energy' }>();
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
    const log = opts.logger?.child({ module: 'seals' });
    const rt = new SealRuntime(parsed.data, p, clock, log);
    this.rt = rt;
    this.events = new SealEventLog(o.pendingCapacity, log);
    this.alarms = new AlarmBook(rt, this.events);
    this.images = new AlarmImages(rt, this.alarms, this.events, opts.snapshots, () => this.persist());
    this.alarms.onRaised = (alarm, now) => this.images.capture(alarm, now);
    this.health = new CameraHealth(rt, this.alarms);
    this.production = new IllegalProduction(rt, this.alarms, this.events);
    this.shift = new ShiftHeadcount(rt, this.events, () => this.checks.restartHeadcountClocks());
    this.checks = new PersonnelChecks(rt, this.alarms, this.shift);
    this.counting = new CrossingCount(rt, this.events, this.production, this.checks, o.baselineRefreshMs);
    this.persistence = new SealPersistence(rt, this.events, this.alarms, this.shift, this.production, opts.store);
    if (opts.onEvent !== undefined) this.onEvent(opts.onEvent);

    const now = clock.wall();
    const saved = opts.store?.load() ?? null;
    this.build(saved, now);
    if (saved) this.persistence.restore(saved, now);
    this.shift.roll(now);
    this.persist();
  }

  /** The runtime of every configured mouth, camera (from its saved counter baseline) and load. */
  private build(saved: PersistedSealState | null, now: number): void {
    const cams = this.config.cameras;
    for (const cfg of this.config.shaftMouths) {
      const mouth: MouthRt = { cfg, mode: { mode: cfg.mode, sinceWall: now, operator: null, reason: null, configMode: cfg.mode }, totals: zero(), entries: [] };
      this.rt.mouths.set(cfg.id, mouth);
      for (const cam of cfg.cameras) {
        const baseline = saved?.cameras[cam.device] ?? null;
        this.rt.cameras.set(cam.device, {
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
        mouth: this.rt.mouths.get(cfg.shaftMouth)!,
        sustainMs: cfg.sustainMs ?? this.config.checks.powerSustainMs,
        powerKw: null,
        powerQuality: null,
        energyKwh: null,
        readingWall: null,
        aboveSince: null,
        belowSince: null,
      };
      this.rt.loads.push(load);
      this.loadByPoint.set(cfg.powerPoint, { load, what: 'power' });
      if (cfg.energyPoint) this.loadByPoint.set(cfg.energyPoint, { load, what: 'energy' });
    }
  }

  // ---- Inputs ----------------------------------------------------------------------------------

  /** Subscribe to every event as it is raised (before it is stored). Returns an unsubscribe function. */
  onEvent(listener: (e: SealEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Device ids of every seal camera, in config order. */
  get cameraIds(): string[] {
    return [...this.rt.cameras.keys()];
  }

  /** A successful read of a camera. */
  observe(cameraId: string, sample: SealSample): void {
    this.assertOpen();
    const cam = this.rt.camera(cameraId);
    const now = this.rt.clock.wall();
    this.shift.roll(now);
    this.health.answered(cam, now);
    this.counting.countSample(cam, sample, now);
    this.health.checkTamper(cam, sample, now);
    this.evaluate(now);
    this.persist();
  }

  /** A failed read of a camera (timeout, exception, link down). */
  readFailed(cameraId: string, error: unknown): void {
    this.assertOpen();
    const cam = this.rt.camera(cameraId);
    const now = this.rt.clock.wall();
    this.health.readFailed(cam, error, now);
    this.evaluate(now);
    this.persist();
  }

  /** Readings of the gateway's points; those of configured loads are used, others ignored. */
  onReading(reading: Reading): void {
    this.assertOpen();
    const hit = this.loadByPoint.get(reading.point);
    if (!hit) return;
    const { load, what } = hit;
    const now = this.rt.clock.wall();
    if (what === 'energy') {
      load.energyKwh = isUsable(reading) ? reading.value : null;
      return;
    }
    load.powerQuality = reading.quality;
    load.readingWall = reading.wallTime;
    // An untrusted reading says nothing either way: keep the timers as they are.
    load.powerKw = isUsable(reading) ? reading.value : null;
    this.production.evaluatePower(load, now);
    this.persist();
  }

  /** Switch a shaft mouth between producing and stopped (by an operator, with a reason; persisted). */
  setMode(mouthId: string, mode: SealMode, change: ModeChange): boolean {
    const mouth = this.rt.mouths.get(mouthId);
    if (!mouth) throw new RangeError(`no shaft mouth "${mouthId}" (shaft mouths: ${[...this.rt.mouths.keys()].join(', ')})`);
    if (!(SEAL_MODES as readonly string[]).includes(mode)) throw new TypeError(`mode must be one of ${SEAL_MODES.join(', ')}, got ${String(mode)}`);
    if (!change || typeof change.operator !== 'string' || change.operator.trim() === '') throw new TypeError(`a mode change needs the operator's name, got ${JSON.stringify(change?.operator)}`);
    if (typeof change.reason !== 'string' || change.reason.trim() === '') throw new TypeError(`a mode change needs a reason, got ${JSON.stringify(change.reason)}`);
    this.assertOpen();
    if (mouth.mode.mode === mode) return false;
    const now = this.rt.clock.wall();
    this.production.applyMode(mouth, mode, change.operator, change.reason, now);
    this.evaluate(now);
    this.persist();
    return true;
  }

  /** Time-based rules (windows, sustain times, shift starts). Call about once a second. */
  tick(): void {
    this.assertOpen();
    const now = this.rt.clock.wall();
    this.shift.roll(now);
    this.evaluate(now);
    this.persist();
  }

  /** Wait for image fetches in flight and write what is pending. No input is accepted afterwards. */
  async close(): Promise<void> {
    await this.images.settle();
    this.persist();
    this.images.close();
    this.closed = true;
  }

  // ---- Outputs ---------------------------------------------------------------------------------

  activeAlarms(): SealAlarm[] {
    return this.alarms.list();
  }

  /** Seal headcount: baseline at the shift start plus persons in minus out since, at every mouth. */
  get sealHeadcount(): number {
    return this.shift.sealHeadcount;
  }

  state(): SealsState {
    const rt = this.rt;
    const online = rt.positioningOnline();
    return {
      wallTime: rt.clock.wall(),
      shiftStartWall: this.shift.shiftStart,
      baseline: this.shift.baseline,
      sealHeadcount: this.sealHeadcount,
      positioningHeadcount: online ? rt.safe(() => rt.personnel.undergroundCount(), null) : null,
      positioningOnline: online,
      positioningUnknownBecause: online ? null : this.checks.unknownBecause(),
      shaftMouths: [...rt.mouths.values()].map((m) => ({
        id: m.cfg.id,
        name: m.cfg.name,
        mode: m.mode.mode,
        modeSinceWall: m.mode.sinceWall,
        modeOperator: m.mode.operator,
        modeReason: m.mode.reason,
        totals: { ...m.totals },
        cameras: m.cfg.cameras.map((c) => c.device),
      })),
      cameras: [...rt.cameras.values()].map((c) => ({
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
      loads: rt.loads.map((l) => ({
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
      store: { pendingEvents: this.events.pending.length, droppedEvents: this.events.dropped, lastError: this.persistence.storeError },
    };
  }

  // ---- Rules, in a fixed order -----------------------------------------------------------------

  private evaluate(now: number): void {
    this.production.clearQuietMouths(now);
    const online = this.rt.positioningOnline();
    for (const mouth of this.rt.mouths.values()) this.checks.checkCards(mouth, online, now);
    this.checks.checkHeadcount(online, now);
    this.checks.checkPositioningSilent(online, now);
    for (const load of this.rt.loads) this.production.evaluatePower(load, now);
  }

  private persist(): void {
    this.persistence.persist();
  }

  /** After close() the state on disk is final: a late input would be lost or written behind it. */
  private assertOpen(): void {
    if (this.closed) throw new SealEngineClosedError();
  }
}
