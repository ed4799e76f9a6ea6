// Electronic seals (电子封条) and power-use monitoring in the running gateway: the SealEngine with its
// store and alarm images, the SealMonitor polling the seal cameras on the gateway's buses, the
// energy-meter readings fed from the polling core, and the "seals" status section.
//
// Positioning: the seal cross-checks use the personnel capability's PersonnelView. A config with a
// `seals:` section but no `personnel:` section runs with ABSENT_POSITIONING, which reports the
// readers as offline: the person-without-card and headcount checks are then not judged (check-ins
// and the underground count are unknown, not zero), and persons counted by a camera raise
// `positioning-silent` once ("seal counted persons crossing, positioning readers offline") — the
// fail-safe reading of "nothing on this gateway confirms who went down".
import { join } from 'node:path';
import type { Capability, CapabilityContext } from '../capability.js';
import type { Logger } from '../log.js';
import type { PersonnelCapability } from '../personnel/personnel-capability.js';
import type { StatusSection } from '../status-view.js';
import { sealsOf } from './config-checks.js';
import { SealEngine, type SealsState } from './engine.js';
import type { SealEvent } from './events.js';
import { sealCameraSources, SealMonitor } from './monitor.js';
import type { PersonnelView } from './personnel-view.js';
import { renderSeals } from './render.js';
import { SnapshotStore } from './snapshot.js';
import { sealMigrations, SealStore } from './store.js';

export interface SealCapabilityOptions {
  /** The engine's time-based rules (headcount sustain, stopped-mode clears …) run this often. */
  tickMs?: number;
  /** Folder under the data dir for alarm images. */
  imagesDir?: string;
}

export const SEAL_CAPABILITY_DEFAULTS = {
  tickMs: 1_000,
  imagesDir: 'seal-images',
} as const;

/** Positioning is not part of this gateway: nothing can confirm or deny a card. */
export const ABSENT_POSITIONING: PersonnelView = {
  undergroundCount: () => 0,
  checkInsAt: () => 0,
  lastSightingWallMs: () => null,
  readersOnline: () => false,
};

const WARN_EVENTS: ReadonlySet<SealEvent['type']> = new Set(['alarm-on', 'alarm-update', 'camera-restarted', 'counter-jump', 'events-dropped']);

export class SealCapability implements Capability {
  readonly name = 'seals';
  readonly migrations = sealMigrations;
  private readonly tickMs: number;
  private readonly imagesDir: string;
  private engineRef: SealEngine | undefined;
  private monitor: SealMonitor | undefined;
  private log: Logger | undefined;
  private running = false;
  private positioningPresent = false;

  constructor(opts: SealCapabilityOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SealCapability: options must be an object, got ${String(opts)}`);
    const o = { ...SEAL_CAPABILITY_DEFAULTS, ...opts };
    if (typeof o.tickMs !== 'number' || !Number.isFinite(o.tickMs) || o.tickMs < 50) throw new TypeError(`SealCapability: tickMs must be a number >= 50, got ${String(opts.tickMs)}`);
    if (typeof o.imagesDir !== 'string' || o.imagesDir.length === 0) throw new TypeError(`SealCapability: imagesDir must be a non-empty folder name, got ${String(opts.imagesDir)}`);
    this.tickMs = o.tickMs;
    this.imagesDir = o.imagesDir;
  }

  /** The running engine (operator commands: setMode). */
  get engine(): SealEngine {
    if (!this.engineRef) throw new Error('the seals capability is not started');
    return this.engineRef;
  }

  start(ctx: CapabilityContext): void {
    const seals = sealsOf(ctx.loaded.config);
    if (!seals) throw new TypeError(`SealCapability: ${ctx.loaded.file} has no seals section`);
    this.log = ctx.logger;
    const personnel = ctx.capability<PersonnelCapability>('personnel');
    this.positioningPresent = personnel !== undefined;
    if (!personnel) this.log.warn('no personnel positioning on this gateway: seal card and headcount cross-checks are off; crossings raise positioning-silent');
    const engine = new SealEngine({
      config: seals,
      personnel: personnel ? personnel.personnelView() : ABSENT_POSITIONING,
      clock: ctx.clock,
      store: new SealStore(ctx.db),
      snapshots: new SnapshotStore({ dir: join(ctx.dataDir, this.imagesDir), tzOffsetMinutes: seals.shifts.tzOffsetMinutes }),
      logger: ctx.logger,
      onEvent: (e) => this.onSealEvent(e),
    });
    this.engineRef = engine;
    this.running = true;
    // Energy-meter power and energy are ordinary points: the engine picks its loads' readings out.
    ctx.onReadings((readings) => {
      if (!this.running) return;
      for (const r of readings) engine.onReading(r);
    });
    this.monitor = new SealMonitor({ engine, cameras: sealCameraSources(ctx.loaded, (busId) => ctx.master(busId)), clock: ctx.clock, tickMs: this.tickMs, logger: ctx.logger });
    this.monitor.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.monitor?.stop();
    await this.engineRef?.close();
  }

  status(): StatusSection[] {
    if (!this.engineRef) return [];
    const state = this.engineRef.state();
    const body = renderSeals(state, this.engineRef.config.shifts.tzOffsetMinutes);
    return [{ title: 'seals', body: this.positioningPresent ? body : `${body}\npositioning: not on this gateway (card and headcount cross-checks off)` }];
  }

  statusJson(): (SealsState & { positioningPresent: boolean }) | null {
    if (!this.engineRef) return null;
    return { ...this.engineRef.state(), positioningPresent: this.positioningPresent };
  }

  private onSealEvent(e: SealEvent): void {
    const fields = { type: e.type, rule: e.rule, shaftMouth: e.shaftMouth, camera: e.cameraId, count: e.count };
    if (WARN_EVENTS.has(e.type)) this.log?.warn(fields, e.message);
    else if (e.type === 'crossing') this.log?.debug(fields, e.message);
    else this.log?.info(fields, e.message);
  }
}
