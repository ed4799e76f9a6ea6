// The safety kernel: the polling of the field buses, the interlock engine, the output drivers and
// the watchdog heartbeat, with nothing else on its event loop. It runs in its own process
// (kernel-process.ts) beside the gateway, or on the caller's thread for tests that drive it directly
// (kernel-host.ts, mode 'inline'); both talk through the same messages (protocol.ts).
// It owns every field bus: a serial line has one master, and capabilities that read devices
// (card readers, seal cameras) do so through `modbusRead`/`modbusWrite` at normal priority, so a
// cut's coil write still goes first. It has no database: holds come in with the init message,
// records go out over the channel and into its own write-ahead file.
// A reload is a swap inside the kernel (reload()): the next config's loop, point table and pollers
// are built beside the running ones and take over in one turn, with the holds, the output devices
// and the bus links whose definition is unchanged; protection never pauses.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { ModbusDevice } from '../../drivers/modbus-device.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import { createMaster } from '../bus-factory.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { loadedFromSnapshot } from '../config/loaded-snapshot.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import { PointTable } from '../point-table.js';
import { BusPoller, type DeviceStatus } from '../poller.js';
import type { Reading } from '../../core/readings.js';
import { SafetyCommandError } from '../safety/errors.js';
import type { SafetyStateSource } from '../safety/engine-types.js';
import type { SafetyPlan } from '../safety/plan.js';
import { SafetyLoop } from '../safety/safety-loop.js';
import { ChannelJournal } from './channel-journal.js';
import { KernelChannel, type PortLike } from './kernel-channel.js';
import { kernelLogger } from './kernel-log.js';
import type { LoadedConfigSnapshot } from '../config/loaded-snapshot.js';
import type { KernelInit, KernelOp, KernelReloadResult, KernelState, ToKernel } from './protocol.js';

export const KERNEL_DEFAULTS = {
  /** State snapshots to the gateway process at most this often (and after every command). */
  stateMs: 200,
} as const;

export class SafetyKernel {
  private gen: Generation;
  private readonly channel: KernelChannel;
  private readonly journal: ChannelJournal;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** Bus links by id, with the config that opened them (a reload keeps the unchanged ones open). */
  private masters = new Map<string, { master: ModbusMaster; definition: string }>();
  private readonly stall: IntervalHistogram;
  /** The kernel's own work per poll result (rules and actuation, the cut path), ms: what a stall is when it is not the box. */
  private longestReadingCycleMs = 0;
  private readonly calibrations: Map<string, number>;
  private stateTimer: NodeJS.Timeout | undefined;
  private swapping = false;
  private stopped = false;

  constructor(
    private readonly init: KernelInit,
    private readonly port: PortLike,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.channel = new KernelChannel(port, init.channelCapacity);
    this.journal = new ChannelJournal(this.channel);
    this.log = kernelLogger(this.channel, init.logLevel);
    this.calibrations = new Map(init.restore.calibrations);
    const loaded = loadedFromSnapshot(init.loaded);
    for (const bus of loaded.config.buses) this.masters.set(bus.id, { master: createMaster(bus), definition: JSON.stringify(bus) });
    const points = this.pointTable(loaded, init.warmStart?.readings ?? [], (code) => loaded.pointsByCode.get(code)?.unit);
    this.gen = this.generation(loaded, init.loaded.plan, points, {
      restoreFrom: { loadHolds: () => init.restore.holds, lastCalibrations: () => this.calibrations },
      warmStart: init.warmStart !== undefined,
      confirmation: init.confirmation,
    });
    this.stall = monitorEventLoopDelay({ resolution: 1 });
    port.on('message', (m) => this.onMessage(m as ToKernel));
  }

  get loaded(): LoadedConfig {
    return this.gen.loaded;
  }

  get points(): PointTable {
    return this.gen.points;
  }

  get loop(): SafetyLoop {
    return this.gen.loop;
  }

  /** Interlocks first (holds back, power cut), then the buses; says 'ready' with the first state. */
  async start(): Promise<void> {
    this.gen.loop.start();
    for (const { master } of this.masters.values()) this.openInBackground(master);
    this.startPollers(this.gen);
    this.stall.enable();
    this.stateTimer = setInterval(() => this.sendState(), KERNEL_DEFAULTS.stateMs);
    this.channel.send({ t: 'ready', state: this.state() });
  }

  /**
   * Apply a new config without pausing protection: everything for it is built first (a failure
   * leaves the running config untouched), then the running loop hands over and the new one starts
   * in the same turn; pollers follow; links whose bus definition changed reopen.
   */
  async reload(snapshot: LoadedConfigSnapshot, confirmation?: { operator: string; reason: string }): Promise<KernelReloadResult> {
    if (this.swapping) throw new SafetyCommandError('INVALID_COMMAND', 'a reload is already in progress');
    if (this.gen.loop.relayTestRunning()) throw new SafetyCommandError('INVALID_COMMAND', 'a relay test is running: reload once it has ended');
    this.swapping = true;
    const began = this.clock.mono();
    const old = this.gen;
    const opened = new Map<string, { master: ModbusMaster; definition: string }>();
    let next: Generation;
    try {
      const loaded = loadedFromSnapshot(snapshot);
      const links = new Map<string, { master: ModbusMaster; definition: string }>();
      for (const bus of loaded.config.buses) {
        const definition = JSON.stringify(bus);
        const running = this.masters.get(bus.id);
        if (running && running.definition === definition) links.set(bus.id, running);
        else opened.set(bus.id, { master: createMaster(bus), definition });
      }
      const points = this.pointTable(loaded, old.points.latestReadings(), (code) => old.loaded.pointsByCode.get(code)?.unit);
      const previous = this.masters;
      this.masters = new Map([...links, ...opened]);
      try {
        next = this.generation(loaded, snapshot.plan, points, {
          restoreFrom: { loadHolds: () => this.journal.lastHolds ?? this.init.restore.holds, lastCalibrations: () => this.calibrations },
          warmStart: true,
          confirmation,
          takeOver: old.loop,
        });
      } catch (err) {
        this.masters = previous;
        throw err;
      }
      // The technician's calibration marks stay on points that still exist.
      for (const point of old.loop.calibratingPoints()) if (loaded.pointsByCode.has(point)) next.loop.setCalibrating(point, true);
    } catch (err) {
      for (const { master } of opened.values()) void master.close().catch(() => undefined);
      this.swapping = false;
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ err: message }, 'reload refused by the safety kernel: the running config stays');
      throw new SafetyCommandError('INVALID_COMMAND', `the safety kernel could not build the new config: ${message}`);
    }
    // The swap: one turn, no tick missed.
    old.loop.handOver();
    this.gen = next;
    next.loop.start();
    const swapMs = this.clock.mono() - began;
    for (const { master } of opened.values()) this.openInBackground(master);
    const stopping = [...old.pollers.values()].map((p) => p.stop());
    this.startPollers(next, old);
    await Promise.all(stopping);
    const kept = new Set([...this.masters.values()].map((l) => l.master));
    const closed: string[] = [];
    for (const [id, link] of this.previousLinks(old)) {
      if (kept.has(link)) continue;
      closed.push(id);
      await link.close().catch(() => undefined);
    }
    this.swapping = false;
    const result: KernelReloadResult = { swapMs, holds: [...new Set(next.loop.engine.holds().map((h) => h.key))].sort(), reopened: [...opened.keys()], closed };
    this.log.info(result, 'config swapped in the safety kernel');
    this.sendState();
    return result;
  }

  state(): KernelState {
    const { loop } = this.gen;
    const engine = loop.engine;
    return {
      outputs: loop.outputs(),
      holds: engine.holds(),
      alarms: engine.alarms(),
      remoteCuts: engine.activeRemoteCuts(),
      fans: engine.plan.fans.map((f) => ({ id: f.id, locked: engine.fanLocked(f.id), active: engine.activeFan(f.id) })),
      calibrating: loop.calibratingPoints(),
      failSafe: loop.failSafeState(),
      devices: [...this.gen.pollers.values()].flatMap((p) => p.statuses()),
      buses: [...this.masters.entries()].map(([id, { master }]) => ({ id, open: master.isOpen, stats: master.stats() })),
      writeAhead: loop.writeAheadStats(),
      cycle: loop.cycleStats(),
      maxStallMs: this.stall.max / 1e6,
      stallP99Ms: this.stall.count > 0 ? this.stall.percentile(99) / 1e6 : 0,
      longestReadingCycleMs: this.longestReadingCycleMs,
      dropped: { ...this.channel.dropped },
      monoNow: this.clock.mono(),
    };
  }

  private generation(loaded: LoadedConfig, plan: SafetyPlan, points: PointTable, how: GenerationOptions): Generation {
    const pollers = new Map<string, BusPoller>();
    const loop = new SafetyLoop({
      loaded,
      plan,
      journal: this.journal,
      restoreFrom: how.restoreFrom,
      points,
      masterFor: (busId) => this.master(busId),
      setAccelerated: (deviceId, on) => {
        const bus = loaded.devicesById.get(deviceId)?.bus;
        if (bus) pollers.get(bus)?.setAccelerated(deviceId, on);
      },
      clock: this.clock,
      logger: this.log,
      warmStart: how.warmStart,
      ...(this.init.tickMs !== undefined ? { tickMs: this.init.tickMs } : {}),
      ...(this.init.writeAheadPath !== undefined ? { writeAheadPath: this.init.writeAheadPath } : {}),
      confirmation: () => how.confirmation,
      ...(how.takeOver ? { takeOver: how.takeOver } : {}),
    });
    // Events mean holds, alarms or outputs changed: the mirror follows in this turn of the loop, not
    // at the next snapshot, but after the cycle's coil writes (kernel-channel.ts sendAfterTurn).
    loop.onEvents((events) => {
      this.channel.sendAfterTurn({ t: 'events', events: [...events] });
      if (!this.stopped) this.channel.stateAfterTurn(() => ({ t: 'state', state: this.state() }));
    });
    return { loaded, points, loop, pollers, links: new Map(), unwatch: [] };
  }

  /** A point table for `loaded`, with the readings in hand for points whose source is unchanged. */
  private pointTable(loaded: LoadedConfig, readings: readonly Reading[], unitBefore: (code: string) => string | undefined): PointTable {
    const { config } = loaded;
    const points = new PointTable(config.points.map((p) => ({ code: p.code, unit: p.unit, freshnessMs: loaded.freshnessMs(p.code) })), this.clock);
    for (const r of readings) {
      const p = loaded.pointsByCode.get(r.point);
      if (p && p.unit === r.unit && unitBefore(r.point) === p.unit) points.update(r);
    }
    return points;
  }

  private startPollers(gen: Generation, previous?: Generation): void {
    const { config } = gen.loaded;
    const devices = new Map(config.devices.map((d) => [d.id, new ModbusDevice(d, gen.loaded.profiles.get(d.profile)!, config.points)]));
    for (const bus of config.buses) {
      const master = this.master(bus.id);
      const busLog = this.log.child({ module: 'gateway', bus: bus.id });
      const onBus = config.devices.filter((d) => d.bus === bus.id).map((d) => devices.get(d.id)!);
      const poller = new BusPoller(bus.id, master, onBus, this.clock, {
        onReadings: (readings, device) => this.onReadings(gen, readings, device),
        onDeviceState: (device, reason) =>
          (device.state === 'offline' ? busLog.warn.bind(busLog) : busLog.info.bind(busLog))({ device: device.id, unit: device.unit, state: device.state }, reason),
      }, { probeMs: bus.offlineProbeMs, ...this.init.poller }, previous?.links.get(bus.id) === master ? previous.pollers.get(bus.id) : undefined);
      const onOpen = () => poller.probeOfflineNow();
      master.on('open', onOpen);
      gen.pollers.set(bus.id, poller);
      gen.links.set(bus.id, master);
      gen.unwatch.push(() => master.off('open', onOpen));
      poller.start();
    }
  }

  /** A bus that is down is not fatal: the master keeps reopening, devices show comm-fault. */
  private openInBackground(master: ModbusMaster): void {
    const busLog = this.log.child({ module: 'gateway' });
    // A link going up or down shows in status at once, not at the next snapshot.
    master.on('close', (err?: Error) => {
      busLog.warn({ err: err?.message }, 'bus link closed; reopening in the background');
      this.sendState();
    });
    master.on('discard', (d: { bytes: number; reason: string }) => busLog.debug(d, 'discarded bytes on the line'));
    master.on('open', () => {
      busLog.info('bus link open');
      this.sendState();
    });
    void master.open().catch((err: Error) => busLog.warn({ err: err.message }, 'bus link not available yet; retrying in the background'));
  }

  private sendState(): void {
    if (!this.stopped) this.channel.state(() => ({ t: 'state', state: this.state() }));
  }

  private previousLinks(old: Generation): Map<string, ModbusMaster> {
    for (const off of old.unwatch) off();
    return old.links;
  }

  private master(busId: string): ModbusMaster {
    const m = this.masters.get(busId);
    if (!m) throw new RangeError(`unknown bus ${busId}`);
    return m.master;
  }

  private onReadings(from: Generation, readings: Reading[], device: DeviceStatus): void {
    const gen = this.gen;
    // The last poll of a generation a reload replaced: kept for points whose source is unchanged.
    if (from !== gen) readings = readings.filter((r) => gen.loaded.pointsByCode.get(r.point)?.unit === r.unit && from.loaded.pointsByCode.get(r.point)?.unit === r.unit);
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      // A point a technician marked calibrating is flagged so in data (MT/T 1201 status 4); its
      // value still drives alarms and cut-offs (AQ 1029-2019: that is how the interlock is tested).
      if (r.quality === 'good' && gen.loop.isCalibrating(r.point)) readings[i] = { ...r, quality: 'calibrating' };
      gen.points.update(readings[i]!);
    }
    // Safety first: rules and actuation before the copy leaves for the store and capabilities.
    const began = performance.now();
    gen.loop.onReadings();
    const took = performance.now() - began;
    if (took > this.longestReadingCycleMs) this.longestReadingCycleMs = took;
    if (readings.length > 0) this.channel.routine({ t: 'readings', readings, device }, 'readings');
  }

  private onMessage(m: ToKernel): void {
    if (m.t === 'persisted') return this.journal.persistedThrough(m.through);
    if (m.t === 'consumed') return this.channel.consumedThrough(m.through);
    if (m.t === 'stateSeen') return this.channel.stateSeen();
    void this.call(m.op, m.args).then(
      (value) => this.channel.send({ t: 'reply', id: m.id, ok: true, value, state: this.state() }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        const error: { name: string; code?: string; message: string } = { name: e.name, message: e.message };
        if (err instanceof SafetyCommandError) error.code = err.code;
        this.channel.send({ t: 'reply', id: m.id, ok: false, error, state: this.state() });
      },
    );
  }

  private async call(op: KernelOp, args: unknown[]): Promise<unknown> {
    const a = args as never[];
    switch (op) {
      case 'acknowledge':
        return this.loop.acknowledge(a[0]);
      case 'manualUnlock':
        return this.loop.manualUnlock(a[0]);
      case 'remoteCut':
        return this.loop.remoteCut(a[0]);
      case 'remoteRelease':
        return this.loop.remoteRelease(a[0]);
      case 'switchLocalFan':
        return this.loop.switchLocalFan(a[0]);
      case 'setCalibrating':
        return this.loop.setCalibrating(a[0], a[1]);
      case 'testPulse':
        return this.loop.testPulse(a[0], a[1]);
      case 'requestSignal':
        return this.loop.requestSignal(a[0], a[1], a[2]);
      case 'processFault':
        return this.loop.processFault(a[0]);
      case 'resetStall':
        this.longestReadingCycleMs = 0;
        return this.stall.reset();
      case 'sync':
        return undefined;
      case 'modbusRead':
        return this.master(a[0]).read(a[1], a[2], a[3], a[4], a[5]);
      case 'modbusWrite':
        return this.master(a[0]).write(a[1], a[2], a[3], a[4], a[5]);
      case 'reload':
        return this.reload(a[0], a[1]);
      case 'stop':
        return this.stop();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.stall.disable();
    await Promise.all([...this.gen.pollers.values()].map((p) => p.stop()));
    await this.gen.loop.stop();
    await Promise.all([...this.masters.values()].map(({ master }) => master.close()));
  }
}

interface Generation {
  loaded: LoadedConfig;
  points: PointTable;
  loop: SafetyLoop;
  pollers: Map<string, BusPoller>;
  /** The bus links its pollers use. */
  links: Map<string, ModbusMaster>;
  /** Listeners this generation put on links that outlive it. */
  unwatch: (() => void)[];
}

interface GenerationOptions {
  restoreFrom: SafetyStateSource;
  warmStart: boolean;
  confirmation: { operator: string; reason: string } | undefined;
  takeOver?: SafetyLoop;
}
