// Personnel positioning in the running gateway: the PersonnelEngine built from the `personnel:`
// config and restored from its tables, fed by the readers (the framed RS-485 line over a serial
// port or an RS-485-over-TCP converter, and Modbus-FIFO readers on the gateway's buses) and by the
// interlocks' safety events (a cut-off in an evacuation-linked zone evacuates). Its sirens go
// through the safety loop (ORed with the interlocks), its pages down the reader line. Adds the
// "people" status section and the PersonnelView the electronic seals cross-check against.
//
// This file is the wiring; the parts: reader-inputs.ts (line and FIFO readers, pages),
// seal-check-ins.ts (the seals' view), personnel-status.ts (status text and JSON),
// reader-wiring.ts (config checks of the reader devices).
import { MinegateError } from '../../core/minegate-error.js';
import type { CardSighting, ReaderPower, ReaderStateChange } from '../../protocols/card-reader/types.js';
import type { Capability, CapabilityContext } from '../capability.js';
import type { Logger } from '../log.js';
import type { SafetyEvent } from '../safety/events.js';
import type { PersonnelView } from '../seals/personnel-view.js';
import type { StatusSection } from '../status-view.js';
import { PersonnelEngine } from './engine.js';
import type { PersonnelEvent, PersonnelEventType } from './events.js';
import { personnelStatusJson, type PersonnelStatusJson, renderPeople } from './personnel-status.js';
import { PersonnelReaders } from './reader-inputs.js';
import { readerWiringProblems } from './reader-wiring.js';
import { SealCheckIns } from './seal-check-ins.js';
import { personnelMigrations, PersonnelStore } from './store.js';

export type { PersonnelStatusJson } from './personnel-status.js';
export { CARD_READER_FIFO_PROFILE, personnelReadersAreWired, type ReaderWiringProblem, readerWiringProblems } from './reader-wiring.js';

export interface PersonnelCapabilityOptions {
  /** The engine's timers (overtime, lost cards, 叫应 deadlines, repeated pages) run this often. */
  tickMs?: number;
  /** Personnel events kept for the status screen and `status --json`. */
  recentEvents?: number;
  /** Card check-ins kept for the seal cross-check (its window is minutes). */
  checkInRetentionMs?: number;
  /** How often the reader line checks for silent readers; default a fifth of the offline time. */
  readerCheckIntervalMs?: number;
}

export const PERSONNEL_CAPABILITY_DEFAULTS = {
  tickMs: 1_000,
  recentEvents: 50,
  checkInRetentionMs: 3_600_000,
  /** At most this many check-ins are kept, whatever their age (a flood must not grow memory). */
  maxCheckIns: 20_000,
} as const;

export type PersonnelCapabilityErrorCode = 'no-personnel-config' | 'reader-wiring' | 'not-started';

/** The personnel capability cannot run with this config (or was used before start). */
export class PersonnelCapabilityError extends MinegateError<PersonnelCapabilityErrorCode> {
  override readonly name = 'PersonnelCapabilityError';
  constructor(code: PersonnelCapabilityErrorCode, message: string) {
    super(code, message);
  }
}

const WARN_EVENTS: ReadonlySet<PersonnelEventType> = new Set([
  'alarm-start',
  'evacuation-start',
  'evacuation-widened',
  'evacuee-added',
  'escalated',
  'recall',
  'unknown-card',
  'unknown-reader',
  'events-dropped',
]);

export class PersonnelCapability implements Capability {
  readonly name = 'personnel';
  readonly migrations = personnelMigrations;
  private readonly tickMs: number;
  private readonly recentLimit: number;
  private readonly readerCheckIntervalMs: number | undefined;
  private ctx: CapabilityContext | undefined;
  private log: Logger | undefined;
  private engineRef: PersonnelEngine | undefined;
  private readers: PersonnelReaders | undefined;
  private readonly checkIns: SealCheckIns;
  private tickTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly recent: PersonnelEvent[] = [];
  private readonly listeners: ((e: PersonnelEvent) => void)[] = [];

  constructor(opts: PersonnelCapabilityOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`PersonnelCapability: options must be an object, got ${String(opts)}`);
    const o = { ...PERSONNEL_CAPABILITY_DEFAULTS, ...opts };
    const positive = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`PersonnelCapability: ${name} must be a positive number, got ${String(v)}`);
      return v;
    };
    this.tickMs = positive('tickMs', o.tickMs);
    this.recentLimit = positive('recentEvents', o.recentEvents);
    this.checkIns = new SealCheckIns(positive('checkInRetentionMs', o.checkInRetentionMs), PERSONNEL_CAPABILITY_DEFAULTS.maxCheckIns);
    this.readerCheckIntervalMs = opts.readerCheckIntervalMs === undefined ? undefined : positive('readerCheckIntervalMs', opts.readerCheckIntervalMs);
  }

  /** The running engine (commands: acknowledge, startEvacuation, endEvacuation, clearAlarm …). */
  get engine(): PersonnelEngine {
    if (!this.engineRef) throw new PersonnelCapabilityError('not-started', 'the personnel capability is not started');
    return this.engineRef;
  }

  /** Every personnel event as the engine raises it (upstream sync). Returns an unsubscribe function. */
  onEvent(listener: (e: PersonnelEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError(`PersonnelCapability.onEvent: listener must be a function, got ${String(listener)}`);
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async start(ctx: CapabilityContext): Promise<void> {
    const personnel = ctx.loaded.config.personnel;
    if (personnel === undefined) throw new PersonnelCapabilityError('no-personnel-config', `${ctx.loaded.file}: the config has no personnel section`);
    const problems = readerWiringProblems(ctx.loaded);
    if (problems.length > 0) {
      throw new PersonnelCapabilityError('reader-wiring', `${ctx.loaded.file}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
    }
    this.ctx = ctx;
    const log = ctx.logger;
    this.log = log;
    const readers = new PersonnelReaders(ctx, log, {
      sightings: (s) => this.onSightings(s),
      readerChange: (change, power) => this.onReaderChange(change, power),
      readerStatus: (reader, online, power) => this.running && this.engineRef?.onReaderState(reader, online, power),
    }, this.readerCheckIntervalMs);
    this.readers = readers;
    const store = new PersonnelStore(ctx.db);
    const engine = new PersonnelEngine({
      config: ctx.loaded.config,
      clock: ctx.clock,
      sink: store,
      actions: {
        setOutput: (id, on) => this.setOutput(id, on),
        pageCard: (page) => readers.page(page),
        emit: (e) => this.onEngineEvent(e),
      },
    });
    this.engineRef = engine;
    this.checkIns.index(engine.plan);
    this.running = true;
    // Before the first sighting: people, open alarms and a running evacuation (its sirens) come back.
    const restored = engine.restore(store);
    log.info(restored, 'personnel state restored');
    this.checkIns.rebuild(store.load().people, ctx.clock.wall());
    // Handled after the safety cycle that raised them, never inside it: the interlocks finish first.
    ctx.safety.onEvents((events) => queueMicrotask(() => this.onSafetyEvents(events)));

    const config = personnel.readers;
    if (config?.line) await readers.openLine(config.line.link, config.line.readers, config.offlineAfterMs, config.pageTimeoutMs);
    if (config && config.fifo.length > 0) readers.startFifo(config.fifo, config.offlineAfterMs, config.fifoPollMs);
    if (!config) log.warn('personnel section has no readers: positioning gets no sightings on this gateway');
    this.tickTimer = setInterval(() => this.tick(), this.tickMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    // Warning outputs requested by an evacuation stay as they are: the evacuation is on disk and
    // comes back with its sirens at the next start, and the gateway stops the outputs itself.
    await this.readers?.stop();
    await this.engineRef?.close();
  }

  /** The narrow view the electronic seals cross-check against (edge/seals/personnel-view.ts). */
  personnelView(): PersonnelView {
    return this.checkIns.view({
      underground: () => this.engine.headcount().underground,
      stations: () => (this.running && this.engineRef ? this.engineRef.stations() : null),
    });
  }

  status(): StatusSection[] {
    if (!this.engineRef) return [];
    return [{ title: 'people', body: renderPeople(this.engineRef, this.readers?.line() ?? null) }];
  }

  statusJson(): PersonnelStatusJson | null {
    const engine = this.engineRef;
    if (!engine) return null;
    const readers = this.readers;
    return personnelStatusJson(engine, {
      line: readers?.line() ?? null,
      viaOf: (reader) => readers?.viaOf(reader) ?? 'none',
      pages: readers?.pages() ?? { sent: 0, delivered: 0, failed: 0, notPageable: 0 },
      recentEvents: this.recent,
    });
  }

  private onSightings(sightings: readonly CardSighting[]): void {
    const engine = this.engineRef;
    if (!this.running || !engine) return;
    for (const s of sightings) {
      // A sighting that raises the number of people in the mine started that card's trip: at a
      // shaft-mouth station that is the card check-in the seal cameras' entries are matched with.
      const atMouth = this.checkIns.atShaftMouth(s.reader);
      const before = atMouth ? inMine(engine) : 0;
      try {
        engine.onSighting(s);
      } catch (err) {
        this.log?.error({ err: (err as Error).message, reader: s.reader, tag: s.tag }, 'personnel engine refused a sighting');
        continue;
      }
      this.checkIns.sighted(s.reader, s.wallTime, atMouth && inMine(engine) > before);
    }
  }

  private onReaderChange(change: ReaderStateChange, power: ReaderPower | null): void {
    if (!this.running || !this.engineRef) return;
    this.engineRef.onReaderState(change.reader, change.online, power ?? undefined);
    (change.online ? this.log?.info.bind(this.log) : this.log?.warn.bind(this.log))?.({ reader: change.reader, reason: change.reason }, `reader ${change.reader} ${change.online ? 'online' : 'offline'}`);
  }

  private setOutput(outputId: string, on: boolean): void {
    if (!this.running) return;
    try {
      this.ctx!.safety.requestSignal('personnel', outputId, on);
    } catch (err) {
      this.log?.error({ output: outputId, on, err: (err as Error).message }, 'evacuation output request refused');
    }
  }

  private onEngineEvent(e: PersonnelEvent): void {
    this.recent.push(e);
    if (this.recent.length > this.recentLimit) this.recent.splice(0, this.recent.length - this.recentLimit);
    const fields = { type: e.type, tag: e.tag, area: e.area, areas: e.areas, alarm: e.alarm?.key, inside: e.inside };
    if (WARN_EVENTS.has(e.type)) this.log?.warn(fields, e.message);
    else this.log?.info(fields, e.message);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log?.error({ err: (err as Error).message }, 'personnel event listener failed');
      }
    }
  }

  private onSafetyEvents(events: readonly SafetyEvent[]): void {
    if (!this.running || !this.engineRef) return;
    for (const e of events) {
      try {
        const evac = this.engineRef.onSafetyEvent(e);
        if (evac) this.log?.warn({ rule: e.rule, outputs: e.outputs, areas: evac.areas.map((a) => a.area) }, `safety ${e.type} evacuates ${evac.areas.map((a) => a.area).join(', ')}`);
      } catch (err) {
        this.log?.error({ err: (err as Error).message, event: e.type }, 'personnel engine failed on a safety event');
      }
    }
  }

  private tick(): void {
    if (!this.running || !this.engineRef) return;
    try {
      this.engineRef.tick();
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'personnel tick failed');
    }
  }
}

function inMine(engine: PersonnelEngine): number {
  const h = engine.headcount();
  return h.underground + h.atShaftMouth;
}
