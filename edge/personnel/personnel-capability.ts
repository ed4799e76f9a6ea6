// Personnel positioning in the running gateway: the PersonnelEngine built from the `personnel:`
// config and restored from its tables, fed by the readers (the framed RS-485 line over a serial
// port or an RS-485-over-TCP converter, and Modbus-FIFO readers on the gateway's buses) and by the
// interlocks' safety events (a cut-off in an evacuation-linked zone evacuates). Its sirens go
// through the safety loop (ORed with the interlocks), its pages down the reader line. Adds the
// "people" status section and the PersonnelView the electronic seals cross-check against.
import type { FifoReaderConfig, ReaderLinkConfig } from '../../board-configs/personnel-schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import { CardReaderFifoDriver } from '../../drivers/card-reader-modbus.js';
import { CardReaderBus } from '../../drivers/card-reader-serial.js';
import type { Link } from '../../protocols/links/link.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import type { CardSighting, ReaderPower, ReaderStateChange } from '../../protocols/card-reader/types.js';
import { formatTimeZoned } from '../../core/mine-time.js';
import type { Capability, CapabilityContext } from '../capability.js';
import type { CheckContext, ConfigCheck, ConfigPath } from '../config/check-context.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { SafetyEvent } from '../safety/events.js';
import type { PersonnelView } from '../seals/personnel-view.js';
import type { StatusSection } from '../status-view.js';
import { renderTable } from '../text-table.js';
import type { PersonnelAlarm } from './alarms.js';
import { type EvacuationView, type PageReason, PersonnelEngine } from './engine.js';
import type { PersonnelEvent, PersonnelEventType } from './events.js';
import { personnelMigrations, PersonnelStore } from './store.js';

export const CARD_READER_FIFO_PROFILE = 'card-reader-fifo';

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
export class PersonnelCapabilityError extends Error {
  override readonly name = 'PersonnelCapabilityError';
  constructor(
    readonly code: PersonnelCapabilityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- reader wiring checks

export interface ReaderWiringProblem {
  path: ConfigPath;
  message: string;
}

interface WiringView {
  config: LoadedConfig['config'];
  devicesById: ReadonlyMap<string, { bus: string; unit: number; profile: string }>;
}

function wiringProblems(view: WiringView): ReaderWiringProblem[] {
  const problems: ReaderWiringProblem[] = [];
  const fifo = view.config.personnel?.readers?.fifo ?? [];
  const units = new Map<string, number>();
  fifo.forEach((f, i) => {
    const path = ['personnel', 'readers', 'fifo', i, 'device'];
    const device = view.devicesById.get(f.device);
    if (!device) {
      problems.push({ path, message: `no device "${f.device}" (a Modbus-FIFO reader is a device with profile ${CARD_READER_FIFO_PROFILE})` });
      return;
    }
    if (device.profile !== CARD_READER_FIFO_PROFILE) {
      problems.push({ path, message: `device "${f.device}" has profile "${device.profile}"; a Modbus-FIFO reader needs profile ${CARD_READER_FIFO_PROFILE}` });
      return;
    }
    const key = `${device.bus}\u0000${device.unit}`;
    const other = units.get(key);
    if (other !== undefined) problems.push({ path, message: `device "${f.device}" is unit ${device.unit} on bus "${device.bus}", already read as fifo[${other}]` });
    else units.set(key, i);
  });
  return problems;
}

/** Modbus-FIFO readers name existing devices with the card-reader-fifo profile (for `config check`). */
export const personnelReadersAreWired: ConfigCheck = (ctx: CheckContext) => {
  if (ctx.config.personnel?.readers === undefined) return;
  for (const p of wiringProblems({ config: ctx.config, devicesById: ctx.devicesById })) ctx.report(p.path, p.message);
};

/** The same rules on a loaded config (the capability refuses to start on any). */
export function readerWiringProblems(loaded: LoadedConfig): ReaderWiringProblem[] {
  return wiringProblems({ config: loaded.config, devicesById: loaded.devicesById });
}

// ---------------------------------------------------------------- the capability

interface FifoGroup {
  busId: string;
  driver: CardReaderFifoDriver;
  /** Modbus unit → station reader address. */
  readerOfUnit: Map<number, number>;
}

interface CheckIn {
  wall: number;
  reader: number;
}

export interface PersonnelStatusJson {
  underground: number;
  atShaftMouth: number;
  ratedUnderground: number;
  areas: { id: string; name: string; type: string; count: number; rated: number | null }[];
  stations: { reader: number; code: string; area: string; state: string; power: string; via: 'line' | 'fifo' | 'none' }[];
  line: { description: string; open: boolean } | null;
  alarms: PersonnelAlarm[];
  evacuation: EvacuationView | null;
  recentEvents: PersonnelEvent[];
  pages: { sent: number; delivered: number; failed: number; notPageable: number };
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
  private readonly checkInRetentionMs: number;
  private readonly readerCheckIntervalMs: number | undefined;
  private ctx: CapabilityContext | undefined;
  private log: Logger | undefined;
  private engineRef: PersonnelEngine | undefined;
  private bus: CardReaderBus | undefined;
  private lineReaders = new Set<number>();
  private readonly fifoGroups: FifoGroup[] = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly recent: PersonnelEvent[] = [];
  private readonly listeners: ((e: PersonnelEvent) => void)[] = [];
  private checkIns: CheckIn[] = [];
  /** Station code, area id or area code → the readers it covers (the seals name check-in points so). */
  private readonly readersOf = new Map<string, ReadonlySet<number>>();
  private shaftMouthReaders = new Set<number>();
  private lastSightingWall: number | null = null;
  private readonly pageCounters = { sent: 0, delivered: 0, failed: 0, notPageable: 0 };

  constructor(opts: PersonnelCapabilityOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`PersonnelCapability: options must be an object, got ${String(opts)}`);
    const o = { ...PERSONNEL_CAPABILITY_DEFAULTS, ...opts };
    const positive = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`PersonnelCapability: ${name} must be a positive number, got ${String(v)}`);
      return v;
    };
    this.tickMs = positive('tickMs', o.tickMs);
    this.recentLimit = positive('recentEvents', o.recentEvents);
    this.checkInRetentionMs = positive('checkInRetentionMs', o.checkInRetentionMs);
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
    this.log = ctx.logger;
    const store = new PersonnelStore(ctx.db);
    const engine = new PersonnelEngine({
      config: ctx.loaded.config,
      clock: ctx.clock,
      sink: store,
      actions: {
        setOutput: (id, on) => this.setOutput(id, on),
        pageCard: (page) => this.pageCard(page),
        emit: (e) => this.onEngineEvent(e),
      },
    });
    this.engineRef = engine;
    this.indexStations();
    this.running = true;
    // Before the first sighting: people, open alarms and a running evacuation (its sirens) come back.
    const restored = engine.restore(store);
    this.log.info(restored, 'personnel state restored');
    this.rebuildCheckIns(store.load().people, ctx.clock.wall());
    // Handled after the safety cycle that raised them, never inside it: the interlocks finish first.
    ctx.safety.onEvents((events) => queueMicrotask(() => this.onSafetyEvents(events)));

    const readers = personnel.readers;
    if (readers?.line) await this.openLine(readers.line.link, readers.line.readers, readers.offlineAfterMs, readers.pageTimeoutMs);
    if (readers && readers.fifo.length > 0) this.startFifo(readers.fifo, readers.offlineAfterMs, readers.fifoPollMs);
    if (!readers) this.log.warn('personnel section has no readers: positioning gets no sightings on this gateway');
    this.tickTimer = setInterval(() => this.tick(), this.tickMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    // Warning outputs requested by an evacuation stay as they are: the evacuation is on disk and
    // comes back with its sirens at the next start, and the gateway stops the outputs itself.
    await Promise.allSettled(this.fifoGroups.map((g) => g.driver.stop()));
    this.fifoGroups.length = 0;
    await this.bus?.close().catch((err: Error) => this.log?.warn({ err: err.message }, 'reader line did not close cleanly'));
    this.bus = undefined;
    await this.engineRef?.close();
  }

  /** The narrow view the electronic seals cross-check against (edge/seals/personnel-view.ts). */
  personnelView(): PersonnelView {
    return {
      undergroundCount: () => this.engine.headcount().underground,
      checkInsAt: (stationOrArea, sinceWallMs) => this.checkInsAt(stationOrArea, sinceWallMs),
      lastSightingWallMs: () => this.lastSightingWall,
      readersOnline: () => this.shaftMouthReadersOnline(),
      offlineReaders: () => this.shaftMouthReadersNotOnline(),
    };
  }

  status(): StatusSection[] {
    if (!this.engineRef) return [];
    return [{ title: 'people', body: this.renderPeople() }];
  }

  statusJson(): PersonnelStatusJson | null {
    const engine = this.engineRef;
    if (!engine) return null;
    const plan = engine.plan;
    const head = engine.headcount();
    return {
      underground: head.underground,
      atShaftMouth: head.atShaftMouth,
      ratedUnderground: plan.config.ratedUnderground,
      areas: [...plan.areas.values()].map((a) => ({ id: a.id, name: a.name, type: a.type, count: head.byArea[a.id] ?? 0, rated: a.ratedCount ?? null })),
      stations: engine.stations().map((s) => ({ reader: s.reader, code: s.code, area: s.area, state: s.state, power: s.power, via: this.viaOf(s.reader) })),
      line: this.bus ? { description: this.bus.link.description, open: this.bus.isOpen } : null,
      alarms: engine.alarms(),
      evacuation: engine.evacuation(),
      recentEvents: [...this.recent],
      pages: { ...this.pageCounters },
    };
  }

  // ---------------------------------------------------------------- readers

  private async openLine(link: ReaderLinkConfig, addresses: readonly number[], offlineAfterMs: number, pageTimeoutMs: number): Promise<void> {
    const ctx = this.ctx!;
    this.lineReaders = new Set(addresses);
    const bus = new CardReaderBus({
      link: buildLink(link),
      readers: addresses,
      offlineAfterMs,
      pageTimeoutMs,
      clock: ctx.clock,
      ...(this.readerCheckIntervalMs !== undefined ? { checkIntervalMs: this.readerCheckIntervalMs } : {}),
    });
    this.bus = bus;
    bus.on('sightings', (sightings) => this.onSightings(sightings));
    bus.on('reader', (change) => this.onReaderChange(change, bus.reader(change.reader)?.power ?? null));
    bus.on('status', (s) => this.running && this.engineRef?.onReaderState(s.reader, bus.reader(s.reader)?.online ?? true, s.power));
    bus.on('open', () => this.log?.info({ link: bus.link.description }, 'reader line open'));
    bus.on('close', (err?: Error) => this.log?.warn({ link: bus.link.description, err: err?.message }, 'reader line down: every station on it is offline; reopening'));
    // A line that is down at start is not fatal: the bus keeps reopening, its stations show offline.
    await bus.open().catch((err: Error) => this.log?.warn({ err: err.message }, 'reader line not available yet; retrying in the background'));
  }

  private startFifo(fifo: readonly FifoReaderConfig[], offlineAfterMs: number, pollMs: number): void {
    const ctx = this.ctx!;
    const byBus = new Map<string, Map<number, number>>();
    for (const f of fifo) {
      const device = ctx.loaded.devicesById.get(f.device)!;
      const units = byBus.get(device.bus) ?? new Map<number, number>();
      units.set(device.unit, f.reader);
      byBus.set(device.bus, units);
    }
    for (const [busId, readerOfUnit] of byBus) {
      const profile = ctx.loaded.profiles.get(CARD_READER_FIFO_PROFILE);
      const driver = new CardReaderFifoDriver({
        master: ctx.master(busId),
        readers: [...readerOfUnit.keys()],
        pollMs,
        offlineAfterMs,
        clock: ctx.clock,
        profile: profile ?? loadProfile(CARD_READER_FIFO_PROFILE),
      });
      const group: FifoGroup = { busId, driver, readerOfUnit };
      // Units are Modbus addresses on that bus; the engine knows stations by reader address.
      driver.on('sightings', (sightings) => this.onSightings(sightings.map((s) => ({ ...s, reader: readerOfUnit.get(s.reader) ?? s.reader }))));
      driver.on('reader', (change) => {
        const reader = readerOfUnit.get(change.reader);
        if (reader !== undefined) this.onReaderChange({ ...change, reader }, driver.reader(change.reader)?.power ?? null);
      });
      driver.on('loss', (loss) => this.log?.warn({ bus: busId, unit: loss.reader, records: loss.count }, 'a Modbus-FIFO reader dropped card records (its queue overflowed)'));
      this.fifoGroups.push(group);
      driver.start();
    }
  }

  private onSightings(sightings: readonly CardSighting[]): void {
    const engine = this.engineRef;
    if (!this.running || !engine) return;
    for (const s of sightings) {
      // A sighting that raises the number of people in the mine started that card's trip: at a
      // shaft-mouth station that is the card check-in the seal cameras' entries are matched with.
      const atMouth = this.shaftMouthReaders.has(s.reader);
      const before = atMouth ? inMine(engine) : 0;
      try {
        engine.onSighting(s);
      } catch (err) {
        this.log?.error({ err: (err as Error).message, reader: s.reader, tag: s.tag }, 'personnel engine refused a sighting');
        continue;
      }
      if (this.lastSightingWall === null || s.wallTime > this.lastSightingWall) this.lastSightingWall = s.wallTime;
      if (atMouth && inMine(engine) > before) this.recordCheckIn(s.reader, s.wallTime);
    }
  }

  private onReaderChange(change: ReaderStateChange, power: ReaderPower | null): void {
    if (!this.running || !this.engineRef) return;
    this.engineRef.onReaderState(change.reader, change.online, power ?? undefined);
    (change.online ? this.log?.info.bind(this.log) : this.log?.warn.bind(this.log))?.({ reader: change.reader, reason: change.reason }, `reader ${change.reader} ${change.online ? 'online' : 'offline'}`);
  }

  // ---------------------------------------------------------------- engine actions

  private setOutput(outputId: string, on: boolean): void {
    if (!this.running) return;
    try {
      this.ctx!.safety.requestSignal('personnel', outputId, on);
    } catch (err) {
      this.log?.error({ output: outputId, on, err: (err as Error).message }, 'evacuation output request refused');
    }
  }

  private pageCard(page: { tag: number; reader: number | null; reason: PageReason }): void {
    const bus = this.bus;
    const mode = page.reason === 'evacuate' ? 'evacuate' : 'call';
    if (page.reader !== null && !this.lineReaders.has(page.reader)) {
      // Modbus-FIFO readers have no downlink: the card is warned by the area's sirens only.
      this.pageCounters.notPageable++;
      this.log?.warn({ tag: page.tag, reader: page.reader, reason: page.reason }, `card ${page.tag} not paged: reader ${page.reader} cannot page (Modbus-FIFO)`);
      return;
    }
    if (!bus) {
      this.pageCounters.notPageable++;
      this.log?.warn({ tag: page.tag, reason: page.reason }, `card ${page.tag} not paged: no framed reader line on this gateway`);
      return;
    }
    // Unknown position: try every reader on the line; all but one answer "not in range".
    const targets = page.reader !== null ? [page.reader] : [...this.lineReaders];
    for (const reader of targets) {
      this.pageCounters.sent++;
      bus.page(reader, page.tag, { mode }).then(
        () => {
          this.pageCounters.delivered++;
          this.log?.info({ tag: page.tag, reader, reason: page.reason }, `card ${page.tag} paged via reader ${reader}`);
        },
        (err: Error & { code?: string }) => {
          this.pageCounters.failed++;
          const level = page.reader === null && err.code === 'page-rejected' ? 'debug' : 'warn';
          this.log?.[level]({ tag: page.tag, reader, reason: page.reason, code: err.code, err: err.message }, `page of card ${page.tag} via reader ${reader} failed`);
        },
      );
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

  // ---------------------------------------------------------------- seals view

  private indexStations(): void {
    const plan = this.engine.plan;
    this.shaftMouthReaders = new Set([...plan.stations.values()].filter((s) => plan.areas.get(s.area)?.type === 'shaft-mouth').map((s) => s.reader));
    for (const s of plan.stations.values()) this.readersOf.set(s.code, new Set([s.reader]));
    for (const a of plan.areas.values()) {
      const readers = new Set([...plan.stations.values()].filter((s) => s.area === a.id).map((s) => s.reader));
      this.readersOf.set(a.id, readers);
      this.readersOf.set(a.code, readers);
    }
  }

  private recordCheckIn(reader: number, wall: number): void {
    this.checkIns.push({ wall, reader });
    const cutoff = wall - this.checkInRetentionMs;
    if (this.checkIns.length > PERSONNEL_CAPABILITY_DEFAULTS.maxCheckIns || (this.checkIns[0]?.wall ?? wall) < cutoff) {
      this.checkIns = this.checkIns.filter((c) => c.wall >= cutoff).slice(-PERSONNEL_CAPABILITY_DEFAULTS.maxCheckIns);
    }
  }

  /**
   * The seal cameras' card check (人员未带卡) matches persons counted in at a shaft mouth with the
   * card check-ins there, up to cardWindowMs back. The check-ins are kept in memory; rebuilt here
   * after a restart, so a miner who checked in at the mouth just before it and passes the seal
   * camera just after is still matched with his card (domain.md §3: all persons entering must carry
   * a card, S23; 人卡不符, S20) — issue 14, a demo restart raised two false alarms. A trip's first
   * station is where its check-in was (a new trip starts a fresh trajectory).
   */
  private rebuildCheckIns(people: readonly { flag: 0 | 1 | 2; trajectory: readonly { reader: number; wall: number }[] }[], now: number): void {
    const cutoff = now - this.checkInRetentionMs;
    const rebuilt: CheckIn[] = [];
    for (const p of people) {
      const first = p.trajectory[0];
      if (p.flag === 2 || !first || !this.shaftMouthReaders.has(first.reader) || first.wall < cutoff || first.wall > now) continue;
      rebuilt.push({ wall: first.wall, reader: first.reader });
    }
    this.checkIns = rebuilt.sort((a, b) => a.wall - b.wall).slice(-PERSONNEL_CAPABILITY_DEFAULTS.maxCheckIns);
  }

  private checkInsAt(stationOrArea: string, sinceWallMs: number): number {
    const readers = this.readersOf.get(stationOrArea);
    if (!readers) throw new RangeError(`no personnel station code, area id or area code "${stationOrArea}"`);
    let n = 0;
    for (const c of this.checkIns) if (c.wall >= sinceWallMs && readers.has(c.reader)) n++;
    return n;
  }

  /**
   * Check-ins and exits are seen at the shaft mouths: while every shaft-mouth station is online the
   * positioning counts can be trusted for the seal cross-checks (a reader down deeper in the mine
   * does not take anyone out of the underground count).
   */
  private shaftMouthReadersOnline(): boolean {
    const engine = this.engineRef;
    if (!this.running || !engine) return false;
    return engine.stations().every((s) => !this.shaftMouthReaders.has(s.reader) || s.state === 'online');
  }

  /** The shaft-mouth stations the seal checks depend on that are not online, named. */
  private shaftMouthReadersNotOnline(): string[] {
    const engine = this.engineRef;
    if (!this.running || !engine) return ['personnel positioning not running'];
    return engine
      .stations()
      .filter((s) => this.shaftMouthReaders.has(s.reader) && s.state !== 'online')
      .map((s) => `station ${s.code} (reader ${s.reader}) ${s.state === 'unknown' ? 'not heard yet' : 'offline'}`);
  }

  // ---------------------------------------------------------------- status

  private viaOf(reader: number): 'line' | 'fifo' | 'none' {
    if (this.lineReaders.has(reader)) return 'line';
    if (this.fifoGroups.some((g) => [...g.readerOfUnit.values()].includes(reader))) return 'fifo';
    return 'none';
  }

  private renderPeople(): string {
    const engine = this.engine;
    const plan = engine.plan;
    const head = engine.headcount();
    const stations = engine.stations();
    const online = stations.filter((s) => s.state === 'online').length;
    const line = this.bus ? `; reader line ${this.bus.link.description} ${this.bus.isOpen ? 'open' : 'DOWN'}` : '';
    const lines = [
      `underground ${head.underground} / rated ${plan.config.ratedUnderground}; at the shaft mouth ${head.atShaftMouth}; stations online ${online}/${stations.length}${line}`,
      '',
      renderTable(
        [{ header: 'area' }, { header: 'name' }, { header: 'type' }, { header: 'people', right: true }, { header: 'rated', right: true }, { header: 'stations' }],
        [...plan.areas.values()].map((a) => {
          const own = stations.filter((s) => s.area === a.id);
          const down = own.filter((s) => s.state !== 'online').map((s) => `${s.reader} ${s.state}`);
          const count = head.byArea[a.id] ?? 0;
          const rated = a.ratedCount;
          return [a.id, a.name, a.type, `${count}${rated !== undefined && count > rated ? ' OVER' : ''}`, rated === undefined ? '—' : String(rated), down.length ? down.join(', ') : `${own.length} online`];
        }),
      ),
    ];
    const alarms = engine.alarms();
    lines.push('', alarms.length === 0 ? 'personnel alarms: none' : `personnel alarms: ${alarms.length}`);
    for (const a of alarms.sort((x, y) => x.startWall - y.startWall)) lines.push(`  ! [${a.severity}] ${a.kind} since ${formatTimeZoned(a.startWall)}: ${a.message}`);
    const evac = engine.evacuation();
    lines.push('', ...renderEvacuation(evac));
    return lines.join('\n');
  }
}

function renderEvacuation(evac: EvacuationView | null): string[] {
  if (!evac) return ['evacuation: none'];
  const state = evac.complete ? `COMPLETE at ${evac.completeWall === null ? '?' : formatTimeZoned(evac.completeWall)} (sirens stay on until stood down)` : `${evac.insideCount} still inside`;
  const out = [`EVACUATION ${evac.id} since ${formatTimeZoned(evac.startedWall)}: ${state}; outputs on: ${evac.outputs.join(', ') || 'none'}`];
  for (const t of evac.triggers) out.push(`  trigger (${t.source}${t.by ? ` by ${t.by}` : ''}): ${t.reason}`);
  for (const a of evac.areas) {
    const ack = a.acknowledged ? `acknowledged by ${a.acknowledged.by} (${a.acknowledged.via}) at ${formatTimeZoned(a.acknowledged.wall)}` : `acknowledge (叫应) by ${formatTimeZoned(a.ackDeadlineWall)}${a.escalatedWall !== null ? ' — OVERDUE, escalated' : ''}`;
    out.push(`  area ${a.area}: responsible ${a.responsible ?? 'none'}; ${ack}`);
  }
  if (evac.inside.length > 0) out.push(`  still inside: ${evac.inside.map((p) => `${p.name} (${p.card}, ${p.area ?? '?'})`).join(', ')}`);
  return out;
}

function inMine(engine: PersonnelEngine): number {
  const h = engine.headcount();
  return h.underground + h.atShaftMouth;
}

function buildLink(link: ReaderLinkConfig): Link {
  if (link.type === 'serial') return new SerialLink({ path: link.path, baudRate: link.baudRate, parity: link.parity, dataBits: link.dataBits, stopBits: link.stopBits });
  return new TcpLink({ host: link.host, port: link.port, connectTimeoutMs: link.connectTimeoutMs });
}
