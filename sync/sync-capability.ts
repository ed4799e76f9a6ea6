// Store-and-forward in the running gateway (capability 'sync', present when the config has a
// `sync:` section). It runs startSync with its own outbox file in the data dir and feeds it:
//   CDSS  snapshot of every point on its interval (quality → status bits, plus alarm / cut state)
//   YCBJ  from the interlocks' safety events (alarms, cut-offs, 馈电异常, faults), start and end
//   FZSS  the substation's own status on its interval
//   TJSJ  5-minute statistics of the analog points (edge/five-minute-stats.ts, fed by readings)
//   RYSS / JZSS snapshots and RYCS / RYCY / RYXZ / RYQJ alarms when personnel positioning runs
//   SEAL  electronic seal alarm messages when the seals run
// and carries out verified platform commands (remote cut, evacuation, weather warning, time sync).
// Everything on the polling and safety paths is an O(1) append to the outbox's in-memory stage;
// snapshots run on their own timers. A sync that cannot start (a missing key, a bad TLS file)
// never stops the gateway: the interlocks run on, and the status says why nothing goes upstream.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { SyncConfig } from '../board-configs/sync-schema.js';
import type { Capability, CapabilityContext } from '../edge/capability.js';
import type { ControlHandler } from '../edge/control/context.js';
import { FiveMinuteStats } from '../edge/five-minute-stats.js';
import { isUsable } from '../core/readings.js';
import type { StatusSection } from '../edge/status-view.js';
import { POWER_STATUS, RUN_STATUS, SENSOR_TYPES } from '../core/mt1201-codes.js';
import { formatTimeZoned } from '../core/mine-time.js';
import { tjsjFromWindow } from './formats/records/index.js';
import { FileDropExporter, type FileDropStats } from './file-drop-exporter.js';
import { AbnormalityTracker, type AbnormalityStats } from './feeds/abnormalities.js';
import { isPersonnelSource, PersonnelFeed, type PersonnelFeedStats, type PersonnelSource } from './feeds/personnel-feed.js';
import { PlatformCommands, PLATFORM_COMMAND_DEFAULTS, type TimeSyncReport } from './feeds/platform-commands.js';
import { upstreamPoints, type UpstreamPoint } from './feeds/point-info.js';
import { cdssRecord, interlockState } from './feeds/point-snapshots.js';
import { isSealSource, SealFeed } from './feeds/seal-feed.js';
import { syncControlHandlers } from './control-handlers.js';
import type { DownlinkStats } from './downlink.js';
import type { LaneBacklog, OutboxStats } from './outbox.js';
import { LANES, type Lane } from './stream.js';
import { cdssStream, fzssStream, tjsjStream, ycbjStream } from './streams/index.js';
import { messageOf } from './sync-error.js';
import { startSync, type SyncService } from './sync-service.js';
import { DefinitionFeed, type DefinitionFeedStats } from './feeds/definitions-feed.js';
import { rejectedCommandEvents } from '../edge/control/command-log.js';
import type { SafetyEvent } from '../edge/safety/events.js';
import type { EventQuery } from '../edge/safety/store.js';
import { definitionStreams } from './streams/definitions.js';
import { DAY_MS } from './stream.js';
import type { UplinkStatus } from './uplink.js';

export interface SyncCapabilityOptions {
  /** Statistics windows are closed this long after their end (late readings of a slow poll still count). */
  statsCloseDelayMs?: number;
  /** How often open statistics windows are checked for closing. */
  statsCheckMs?: number;
  /** Window of the drain-rate figure on the status screen. */
  rateWindowMs?: number;
  /** How long a platform remote cut waits for the relay module before it is acked unconfirmed. */
  confirmCutWithinMs?: number;
}

export const SYNC_CAPABILITY_DEFAULTS = {
  statsCloseDelayMs: 5_000,
  statsCheckMs: 5_000,
  rateWindowMs: 10_000,
  confirmCutWithinMs: PLATFORM_COMMAND_DEFAULTS.confirmWithinMs,
} as const;

export interface UpstreamStatusJson {
  enabled: boolean;
  /** Why nothing goes upstream (start failed), or null. */
  disabledReason: string | null;
  broker: string | null;
  state: UplinkStatus['state'] | 'disabled';
  connected: boolean;
  /** Unacknowledged batches on disk, per lane. */
  backlog: Record<Lane, LaneBacklog>;
  /** Records appended but not yet written (in memory). */
  queued: number;
  acked: { batches: number; records: number; lastAt: number | null };
  /** Records per second acknowledged over the last rateWindowMs. */
  drainRecordsPerSec: number;
  dropped: OutboxStats['dropped'] | null;
  gapMarkers: number;
  rejected: number;
  lostCritical: number;
  storedBytes: number;
  maxBytes: number;
  lastError: string | null;
  commands: DownlinkStats | null;
  timeSync: TimeSyncReport | null;
  abnormalities: AbnormalityStats;
  personnel: PersonnelFeedStats | null;
  sealMessages: number | null;
  fileDrop: FileDropStats | null;
  /** How batches are freed ('receipt' end to end, 'puback' by the broker); null when not started. */
  delivery: 'receipt' | 'puback' | null;
  /** Batches sent but not yet covered by a platform receipt. */
  awaitingReceipt: number;
  definitions: DefinitionFeedStats | null;
}

const EMPTY_BACKLOG = (): Record<Lane, LaneBacklog> =>
  Object.fromEntries(LANES.map((l) => [l, { batches: 0, records: 0, bytes: 0, oldestTime: null }])) as Record<Lane, LaneBacklog>;

export class SyncCapability implements Capability {
  readonly name = 'sync';
  private readonly o: Required<SyncCapabilityOptions>;
  private ctx: CapabilityContext | undefined;
  private service: SyncService | null = null;
  private disabledReason: string | null = null;
  private brokerUrl: string | null = null;
  /** How batches are freed: by the platform's receipt, or (no platform key / configured so) by the broker PUBACK. */
  private delivery: 'receipt' | 'puback' | null = null;
  private definitions: DefinitionFeed | null = null;
  private points = new Map<string, UpstreamPoint>();
  private abnormalities: AbnormalityTracker | null = null;
  private stats5: FiveMinuteStats | null = null;
  private personnel: PersonnelFeed | null = null;
  private personnelSource: PersonnelSource | undefined;
  private seals: SealFeed | null = null;
  private commands: PlatformCommands | null = null;
  private fileDrop: FileDropExporter | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private running = false;
  private lastAckAt: number | null = null;
  /** Acked record counts with their time, for the drain rate (a short ring of recent acks). */
  private readonly recentAcks: { at: number; records: number }[] = [];

  constructor(opts: SyncCapabilityOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SyncCapability: options must be an object, got ${String(opts)}`);
    const o = { ...SYNC_CAPABILITY_DEFAULTS, ...opts };
    for (const key of Object.keys(SYNC_CAPABILITY_DEFAULTS) as (keyof typeof SYNC_CAPABILITY_DEFAULTS)[]) {
      const v = o[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new TypeError(`SyncCapability: ${key} must be a positive integer (ms), got ${String(opts[key])}`);
    }
    this.o = o;
  }

  /** The running outbox, uplink and downlink (null when sync is disabled or not started). */
  get sync(): SyncService | null {
    return this.service;
  }

  start(ctx: CapabilityContext): void {
    const cfg = ctx.loaded.config.sync;
    if (!cfg) throw new TypeError(`SyncCapability: ${ctx.loaded.file} has no sync section`);
    this.ctx = ctx;
    this.brokerUrl = cfg.brokerUrl;
    const paths = resolveSyncPaths(cfg, ctx.dataDir);
    if (!existsSync(paths.privateKeyPath)) {
      return this.disable(`substation key ${paths.privateKeyPath} does not exist: run \`minegate keys generate --data-dir ${ctx.dataDir}\` and give the platform keys/substation.pub.pem`);
    }
    const platformKey = existsSync(paths.platformKeyPath) ? paths.platformKeyPath : undefined;
    if (!platformKey) ctx.logger.warn({ path: paths.platformKeyPath }, 'no platform public key: commands from the platform (remote cut, evacuation) are refused');
    if (cfg.delivery === 'receipt' && !platformKey) {
      ctx.logger.error({ path: paths.platformKeyPath }, 'delivery: receipt needs the platform public key to verify receipts; batches are freed on the broker PUBACK instead');
    }
    this.delivery = cfg.delivery === 'receipt' && platformKey ? 'receipt' : 'puback';
    try {
      this.service = this.startService(ctx, cfg, paths, platformKey);
    } catch (err) {
      return this.disable(`sync could not start: ${messageOf(err)}`);
    }
    this.running = true;
    const service = this.service;
    const { uplink } = service;
    uplink.on('acked', (b) => this.noteAck(b.records));
    uplink.on('connected', () => ctx.logger.info({ broker: cfg.brokerUrl }, 'upstream connected'));
    uplink.on('disconnected', (reason) => ctx.logger.warn({ broker: cfg.brokerUrl, reason }, 'upstream disconnected; the backlog waits on disk'));

    this.points = upstreamPoints(ctx.loaded.config.points);
    this.attachReadingFeeds(ctx, service);
    if (cfg.fileDropDir) this.attachFileDrop(ctx, cfg.fileDropDir, service);
    this.attachCapabilities(ctx, service);
    this.attachCommands(ctx, cfg, service);
    // Definitions before any snapshot of this config (the timers below fire later): at start, which
    // includes every config reload, and once a day.
    this.definitions = this.definitionFeed(ctx, cfg, service);
    this.definitions.emit(ctx.clock.wall());
    this.startSnapshotTimers(ctx, cfg);
    ctx.logger.info({ broker: cfg.brokerUrl, outbox: paths.outboxFile, commands: platformKey !== undefined, fileDrop: cfg.fileDropDir ?? null }, 'upstream sync started');
  }

  /** The outbox, uplink and downlink of this config (throws when they cannot start). */
  private startService(ctx: CapabilityContext, cfg: SyncConfig, paths: ReturnType<typeof resolveSyncPaths>, platformKey: string | undefined): SyncService {
    const { config } = ctx.loaded;
    return startSync({
      file: paths.outboxFile,
      mineCode: config.mine.code,
      mineName: config.mine.name,
      substation: config.substation.code,
      privateKeyPath: paths.privateKeyPath,
      brokerUrl: cfg.brokerUrl,
      ...(platformKey ? { platformKeyPath: platformKey } : {}),
      outbox: { maxBytes: cfg.outbox.maxBytes, maxAgeMs: cfg.outbox.maxAgeMs, encoding: cfg.encoding },
      uplink: {
        ...(cfg.tls ? { tls: { ...cfg.tls, ...paths.tls } } : {}),
        ...(cfg.username !== undefined ? { username: cfg.username } : {}),
        ...(cfg.password !== undefined ? { password: cfg.password } : {}),
        bytesPerSecond: cfg.bytesPerSecond ?? null,
        ...(cfg.burstBytes !== undefined ? { burstBytes: cfg.burstBytes } : {}),
      },
      ...(this.delivery === 'receipt' ? { receipts: { timeoutMs: cfg.receiptTimeoutMs } } : {}),
      logger: ctx.logger,
    });
  }

  /** Abnormality records (from safety events and readings) and the 5-minute statistics (tjsj). */
  private attachReadingFeeds(ctx: CapabilityContext, service: SyncService): void {
    const { outbox } = service;
    this.abnormalities = new AbnormalityTracker(this.points, (r) => outbox.append(ycbjStream, r));
    const abnormalities = this.abnormalities;
    // Safety events arrive from inside the interlock cycle: an O(1) append each, nothing more.
    ctx.safety.onEvents((events) => {
      if (!this.running) return;
      for (const e of events) abnormalities.onSafetyEvent(e);
    });

    const stats = new FiveMinuteStats();
    this.stats5 = stats;
    stats.onWindow((w) => {
      const p = this.points.get(w.point);
      if (p) outbox.append(tjsjStream, tjsjFromWindow(w, { typeName: p.typeName, location: p.location, unit: p.unit }));
    });
    ctx.onReadings((readings) => {
      if (!this.running) return;
      for (const r of readings) {
        const p = this.points.get(r.point);
        if (!p) continue;
        abnormalities.onReading(r.point, r.value, isUsable(r), r.wallTime);
        // Statistics are for analog points (switch states have no max/min/average).
        if (p.valueType !== 'MN') continue;
        try {
          stats.add(r);
        } catch (err) {
          // A malformed reading must not cost the others in this batch their statistics.
          ctx.logger.error({ point: r.point, err: messageOf(err) }, 'reading refused by the 5-minute statistics');
        }
      }
    });
  }

  /** Sealed batches also go to files in `fileDropDir` (for a platform that collects files). */
  private attachFileDrop(ctx: CapabilityContext, fileDropDir: string, service: SyncService): void {
    const dir = isAbsolute(fileDropDir) ? fileDropDir : join(ctx.dataDir, fileDropDir);
    const exporter = new FileDropExporter({ dir, db: service.db, logger: ctx.logger });
    this.fileDrop = exporter;
    void exporter.cleanUp();
    service.outbox.on('sealed', (b) => exporter.enqueue(b));
  }

  /** The periodic snapshots (cdss, fzss, personnel), daily definitions and statistics windows. */
  private startSnapshotTimers(ctx: CapabilityContext, cfg: SyncConfig): void {
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        if (!this.running) return;
        try {
          fn();
        } catch (err) {
          ctx.logger.error({ err: messageOf(err) }, 'upstream snapshot failed');
        }
      }, ms);
      this.timers.push(t);
    };
    const stats = this.stats5!;
    every(cfg.snapshots.cdssMs, () => this.snapshotPoints());
    every(cfg.snapshots.fzssMs, () => this.snapshotSubstation());
    every(DAY_MS, () => this.definitions!.emit(ctx.clock.wall()));
    every(this.o.statsCheckMs, () => stats.closeUpTo(ctx.clock.wall() - this.o.statsCloseDelayMs));
    if (this.personnel) {
      const feed = this.personnel;
      every(cfg.snapshots.ryssMs, () => feed.snapshotPeople(ctx.clock.wall()));
      every(cfg.snapshots.jzssMs, () => feed.snapshotStations(ctx.clock.wall()));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (!this.running) return;
    this.running = false;
    this.personnel?.close();
    this.seals?.close();
    const service = this.service!;
    // Uplink first (PUBACKs still arriving are applied), then the last records are written, then
    // the file drop finishes with them, then the file closes.
    await service.uplink.stop();
    service.outbox.close();
    await this.fileDrop?.stop();
    await service.stop();
  }

  /** Takes a CDSS snapshot now (the `sync now` command, tests). */
  snapshotNow(): void {
    if (!this.running) return;
    this.snapshotPoints();
    this.snapshotSubstation();
    if (this.personnel && this.ctx) {
      this.personnel.snapshotPeople(this.ctx.clock.wall());
      this.personnel.snapshotStations(this.ctx.clock.wall());
    }
    this.service?.outbox.flush();
  }

  /** Rejected platform commands for `minegate events`. */
  events(query: EventQuery): SafetyEvent[] {
    const db = this.service?.db;
    if (!db || !db.open) return [];
    try {
      return rejectedCommandEvents(db, query);
    } catch {
      return [];
    }
  }

  /** `sync.status` and `sync.now` for the control socket (the runtime registers them). */
  controlHandlers(): ControlHandler[] {
    return syncControlHandlers(this);
  }

  status(): StatusSection[] {
    return [{ title: 'upstream', body: renderUpstream(this.statusJson()) }];
  }

  statusJson(): UpstreamStatusJson {
    const s = this.service;
    const ob = s?.outbox.stats();
    const up = s?.uplink.status();
    const now = Date.now();
    return {
      enabled: s !== null && this.running,
      disabledReason: this.disabledReason,
      broker: this.brokerUrl,
      state: up?.state ?? 'disabled',
      connected: up?.state === 'connected',
      backlog: s && this.running ? s.outbox.backlogByLane() : EMPTY_BACKLOG(),
      queued: ob?.queued ?? 0,
      acked: { batches: ob?.ackedBatches ?? 0, records: ob?.ackedRecords ?? 0, lastAt: this.lastAckAt },
      drainRecordsPerSec: this.drainRate(now),
      dropped: ob ? ob.dropped : null,
      gapMarkers: ob?.gapMarkers ?? 0,
      rejected: ob?.rejected ?? 0,
      lostCritical: ob?.lostCritical ?? 0,
      storedBytes: ob?.storedBytes ?? 0,
      maxBytes: ob?.maxBytes ?? 0,
      lastError: up?.lastError ?? ob?.lastError ?? null,
      commands: s?.downlink?.stats() ?? null,
      timeSync: this.commands?.lastTimeSync ?? null,
      abnormalities: this.abnormalities?.stats() ?? { open: 0, started: 0, ended: 0, skipped: 0 },
      personnel: this.personnel?.stats() ?? null,
      sealMessages: this.seals ? this.seals.stats().alarmMessages : null,
      fileDrop: this.fileDrop?.stats() ?? null,
      delivery: this.service ? this.delivery : null,
      awaitingReceipt: up?.awaitingReceipt ?? 0,
      definitions: this.definitions?.stats() ?? null,
    };
  }

  // ---------------------------------------------------------------- feeds

  private snapshotPoints(): void {
    const ctx = this.ctx!;
    const outbox = this.service!.outbox;
    const now = ctx.clock.wall();
    const engine = ctx.safety.engine;
    const state = interlockState(engine.alarms(), engine.holds());
    for (const p of this.points.values()) outbox.append(cdssStream, cdssRecord(p, ctx.points.current(p.code), state, now));
  }

  private snapshotSubstation(): void {
    const ctx = this.ctx!;
    // The substation is this gateway: running means communicating; supply is not measured here.
    this.service!.outbox.append(fzssStream, {
      substationCode: ctx.loaded.config.substation.code,
      runStatus: RUN_STATUS.commOk,
      powerStatus: POWER_STATUS.unknown,
      dataTime: ctx.clock.wall(),
    });
  }

  private attachCapabilities(ctx: CapabilityContext, service: SyncService): void {
    const onError = (what: string, err: unknown): void => ctx.logger.error({ err: messageOf(err) }, `${what} could not be built for upstream`);
    const personnel = ctx.capability('personnel');
    if (isPersonnelSource(personnel)) {
      this.personnelSource = personnel;
      this.personnel = new PersonnelFeed(personnel, service.outbox, onError);
    } else if (ctx.loaded.config.personnel) {
      ctx.logger.warn('personnel is configured but its capability is not running: no RYSS/JZSS or personnel alarms upstream');
    }
    const seals = ctx.capability('seals');
    if (isSealSource(seals)) this.seals = new SealFeed(seals, service.outbox);
  }

  private definitionFeed(ctx: CapabilityContext, cfg: SyncConfig, service: SyncService): DefinitionFeed {
    const { config } = ctx.loaded;
    const streams = definitionStreams({ ...cfg.systems, ratedUnderground: config.personnel?.ratedUnderground ?? null });
    const engine = ctx.safety.engine;
    return new DefinitionFeed(
      service.outbox,
      streams,
      {
        substation: config.substation,
        points: config.points,
        limitsOf: (code) => engine.plan.points.get(code)?.thresholds,
        personnel: () => this.personnelSource?.engine.plan ?? null,
      },
      (what, err) => ctx.logger.error({ err: messageOf(err) }, `${what} could not be built for upstream`),
    );
  }

  private attachCommands(ctx: CapabilityContext, cfg: SyncConfig, service: SyncService): void {
    const downlink = service.downlink;
    const commands = new PlatformCommands({
      safety: ctx.safety,
      personnel: () => this.personnelSource,
      mono: () => ctx.clock.mono(),
      wall: () => ctx.clock.wall(),
      authority: cfg.remoteCutAuthority,
      defaultCutDurationMs: cfg.remoteCutDurationMs,
      weatherEvacuationAreas: cfg.weatherEvacuation?.areas ?? null,
      confirmWithinMs: this.o.confirmCutWithinMs,
      logger: ctx.logger,
    });
    this.commands = commands;
    if (!downlink) return;
    downlink.onCommand('cutoff', (cmd) => commands.cutoff(cmd));
    downlink.onCommand('evacuate', (cmd) => commands.evacuate(cmd));
    downlink.onCommand('weather-warning', (cmd) => commands.weatherWarning(cmd));
    downlink.onCommand('time-sync', (cmd) => commands.timeSync(cmd));
  }

  private disable(reason: string): void {
    this.disabledReason = reason;
    this.ctx?.logger.error({ reason }, 'upstream sync is DISABLED; the gateway runs without it');
  }

  private noteAck(records: number): void {
    const at = Date.now();
    this.lastAckAt = at;
    this.recentAcks.push({ at, records });
    // Bounded: old entries leave as new ones come (and on every status read).
    while (this.recentAcks.length > 0 && (this.recentAcks.length > 10_000 || this.recentAcks[0]!.at < at - this.o.rateWindowMs)) this.recentAcks.shift();
  }

  private drainRate(now: number): number {
    while (this.recentAcks.length > 0 && this.recentAcks[0]!.at < now - this.o.rateWindowMs) this.recentAcks.shift();
    let records = 0;
    for (const a of this.recentAcks) records += a.records;
    return Math.round((records * 1000) / this.o.rateWindowMs);
  }
}

/** The sync section's file paths with relative ones resolved under the data dir. */
export function resolveSyncPaths(cfg: SyncConfig, dataDir: string): { privateKeyPath: string; platformKeyPath: string; outboxFile: string; tls: { caPath?: string; certPath?: string; keyPath?: string } } {
  const at = (p: string): string => (isAbsolute(p) ? p : join(dataDir, p));
  const tls: { caPath?: string; certPath?: string; keyPath?: string } = {};
  if (cfg.tls?.caPath) tls.caPath = at(cfg.tls.caPath);
  if (cfg.tls?.certPath) tls.certPath = at(cfg.tls.certPath);
  if (cfg.tls?.keyPath) tls.keyPath = at(cfg.tls.keyPath);
  return { privateKeyPath: at(cfg.privateKeyPath), platformKeyPath: at(cfg.platformKeyPath), outboxFile: at(cfg.outboxFile), tls };
}

/** Sensor type codes of the config that have no name in our MT/T 1201 table (sync/config-checks.ts). */
export function unknownSensorTypes(points: readonly { sensorType: string }[]): string[] {
  return [...new Set(points.map((p) => p.sensorType).filter((t) => SENSOR_TYPES[t] === undefined))];
}

function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function renderUpstream(s: UpstreamStatusJson, now: number = Date.now()): string {
  if (!s.enabled) return `upstream: DISABLED — ${s.disabledReason ?? 'not started'}`;
  const lanes = LANES.map((l) => {
    const b = s.backlog[l];
    return `${l} ${b.batches} batches/${b.records} records${b.oldestTime !== null ? ` (oldest ${formatTimeZoned(b.oldestTime)})` : ''}`;
  }).join('; ');
  const dropped = s.dropped ? Object.entries(s.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`) : [];
  const lines = [
    `upstream ${s.broker}: ${s.connected ? 'CONNECTED' : s.state.toUpperCase()}${s.lastError && !s.connected ? ` (${s.lastError})` : ''}`,
    `backlog: ${lanes}; in memory ${s.queued}; stored ${(s.storedBytes / 1048576).toFixed(1)} of ${(s.maxBytes / 1048576).toFixed(0)} MiB`,
    `acked by the platform broker: ${s.acked.batches} batches, ${s.acked.records} records; last ${ago(s.acked.lastAt, now)}; drain ${s.drainRecordsPerSec} records/s`,
    `dropped: ${dropped.length > 0 ? dropped.join(', ') : 'none'}; gap markers ${s.gapMarkers}${s.rejected > 0 ? `; REJECTED records ${s.rejected}` : ''}${s.lostCritical > 0 ? `; LOST CRITICAL ${s.lostCritical}` : ''}`,
  ];
  if (s.commands) {
    const rejected = Object.values(s.commands.rejected).reduce((a, b) => a + (b ?? 0), 0);
    lines.push(`platform commands: ${s.commands.accepted} accepted, ${s.commands.completed} done, ${s.commands.failed} failed, ${rejected} rejected`);
  } else lines.push('platform commands: off (no platform public key)');
  if (s.timeSync) lines.push(`platform clock: ${s.timeSync.offsetMs >= 0 ? '+' : ''}${s.timeSync.offsetMs} ms vs local (${ago(s.timeSync.at, now)}; not stepped)`);
  if (s.fileDrop) lines.push(`file drop: ${s.fileDrop.written} files, ${s.fileDrop.queued} queued${s.fileDrop.lastError ? `, FAILING: ${s.fileDrop.lastError}` : ''}`);
  return lines.join('\n');
}
