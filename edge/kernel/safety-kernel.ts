// The safety kernel: the polling of the field buses, the interlock engine, the output drivers and
// the watchdog heartbeat, with nothing else on its event loop. It runs in its own process
// (kernel-process.ts) beside the gateway, or on the caller's thread for tests that drive it directly
// (kernel-host.ts, mode 'inline'); both talk through the same messages (protocol.ts).
// It owns every field bus: a serial line has one master, and capabilities that read devices
// (card readers, seal cameras) do so through `modbusRead`/`modbusWrite` at normal priority, so a
// cut's coil write still goes first. It has no database: holds come in with the init message,
// records go out over the channel and into its own write-ahead file.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { ModbusDevice } from '../../drivers/modbus-device.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import { createMaster } from '../bus-factory.js';
import { type Clock, systemClock } from '../clock.js';
import { loadedFromSnapshot } from '../config/loaded-snapshot.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import { PointTable } from '../point-table.js';
import { BusPoller, type DeviceStatus } from '../poller.js';
import type { Reading } from '../readings.js';
import { SafetyCommandError } from '../safety/errors.js';
import { SafetyLoop } from '../safety/safety-loop.js';
import { ChannelJournal } from './channel-journal.js';
import { KernelChannel, type PortLike } from './kernel-channel.js';
import { kernelLogger } from './kernel-log.js';
import type { KernelInit, KernelOp, KernelState, ToKernel } from './protocol.js';

export const kernelDefaults = {
  /** State snapshots to the main thread at most this often (and after every command). */
  stateMs: 200,
} as const;

export class SafetyKernel {
  readonly loaded: LoadedConfig;
  readonly points: PointTable;
  readonly loop: SafetyLoop;
  private readonly channel: KernelChannel;
  private readonly journal: ChannelJournal;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly masters = new Map<string, ModbusMaster>();
  private readonly pollers = new Map<string, BusPoller>();
  private readonly stall: IntervalHistogram;
  private stateTimer: NodeJS.Timeout | undefined;
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
    this.loaded = loadedFromSnapshot(init.loaded);
    const { config } = this.loaded;
    this.points = new PointTable(config.points.map((p) => ({ code: p.code, unit: p.unit, freshnessMs: this.loaded.freshnessMs(p.code) })), this.clock);
    for (const r of init.warmStart?.readings ?? []) {
      const p = this.loaded.pointsByCode.get(r.point);
      if (p && p.unit === r.unit) this.points.update(r);
    }
    for (const bus of config.buses) this.masters.set(bus.id, createMaster(bus));
    const calibrations = new Map(init.restore.calibrations);
    this.loop = new SafetyLoop({
      loaded: this.loaded,
      journal: this.journal,
      restoreFrom: { loadHolds: () => init.restore.holds, lastCalibrations: () => calibrations },
      points: this.points,
      masterFor: (busId) => this.master(busId),
      setAccelerated: (deviceId, on) => {
        const bus = this.loaded.devicesById.get(deviceId)?.bus;
        if (bus) this.pollers.get(bus)?.setAccelerated(deviceId, on);
      },
      clock: this.clock,
      logger: this.log,
      warmStart: init.warmStart !== undefined,
      ...(init.tickMs !== undefined ? { tickMs: init.tickMs } : {}),
      ...(init.writeAheadPath !== undefined ? { writeAheadPath: init.writeAheadPath } : {}),
      confirmation: () => init.confirmation,
    });
    // Events mean holds, alarms or outputs changed: the mirror follows at once, not at the next snapshot.
    this.loop.onEvents((events) => {
      this.channel.send({ t: 'events', events: [...events] });
      this.channel.send({ t: 'state', state: this.state() });
    });
    this.stall = monitorEventLoopDelay({ resolution: 1 });
    port.on('message', (m) => this.onMessage(m as ToKernel));
  }

  /** Interlocks first (holds back, power cut), then the buses; says 'ready' with the first state. */
  async start(): Promise<void> {
    this.loop.start();
    const { config } = this.loaded;
    const devices = new Map(config.devices.map((d) => [d.id, new ModbusDevice(d, this.loaded.profiles.get(d.profile)!, config.points)]));
    for (const bus of config.buses) {
      const master = this.masters.get(bus.id)!;
      const busLog = this.log.child({ module: 'gateway', bus: bus.id });
      master.on('close', (err?: Error) => busLog.warn({ err: err?.message }, 'bus link closed; reopening in the background'));
      master.on('discard', (d: { bytes: number; reason: string }) => busLog.debug(d, 'discarded bytes on the line'));
      const onBus = config.devices.filter((d) => d.bus === bus.id).map((d) => devices.get(d.id)!);
      const poller = new BusPoller(bus.id, master, onBus, this.clock, {
        onReadings: (readings, device) => this.onReadings(readings, device),
        onDeviceState: (device, reason) =>
          (device.state === 'offline' ? busLog.warn.bind(busLog) : busLog.info.bind(busLog))({ device: device.id, unit: device.unit, state: device.state }, reason),
      }, { probeMs: bus.offlineProbeMs, ...this.init.poller });
      master.on('open', () => {
        busLog.info('bus link open');
        poller.probeOfflineNow();
      });
      this.pollers.set(bus.id, poller);
      // A bus that is down at start is not fatal: the master keeps reopening, devices show comm-fault.
      void master.open().catch((err: Error) => busLog.warn({ err: err.message }, 'bus link not available yet; retrying in the background'));
      poller.start();
    }
    this.stall.enable();
    this.stateTimer = setInterval(() => this.channel.send({ t: 'state', state: this.state() }), kernelDefaults.stateMs);
    this.channel.send({ t: 'ready', state: this.state() });
  }

  state(): KernelState {
    const engine = this.loop.engine;
    return {
      outputs: this.loop.outputs(),
      holds: engine.holds(),
      alarms: engine.alarms(),
      remoteCuts: engine.activeRemoteCuts(),
      fans: engine.plan.fans.map((f) => ({ id: f.id, locked: engine.fanLocked(f.id), active: engine.activeFan(f.id) })),
      calibrating: this.loop.calibratingPoints(),
      failSafe: this.loop.failSafeState(),
      devices: [...this.pollers.values()].flatMap((p) => p.statuses()),
      buses: [...this.masters.entries()].map(([id, m]) => ({ id, open: m.isOpen, stats: m.stats() })),
      writeAhead: this.loop.writeAheadStats(),
      cycle: this.loop.cycleStats(),
      maxStallMs: this.stall.max / 1e6,
      dropped: { ...this.channel.dropped },
      monoNow: this.clock.mono(),
    };
  }

  private master(busId: string): ModbusMaster {
    const m = this.masters.get(busId);
    if (!m) throw new RangeError(`unknown bus ${busId}`);
    return m;
  }

  private onReadings(readings: Reading[], device: DeviceStatus): void {
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      // A point a technician marked calibrating is flagged so in data (MT/T 1201 status 4); its
      // value still drives alarms and cut-offs (AQ 1029-2019: that is how the interlock is tested).
      if (r.quality === 'good' && this.loop.isCalibrating(r.point)) readings[i] = { ...r, quality: 'calibrating' };
      this.points.update(readings[i]!);
    }
    // Safety first: rules and actuation before the copy leaves for the store and capabilities.
    this.loop.onReadings();
    this.channel.routine({ t: 'readings', readings, device }, 'readings');
  }

  private onMessage(m: ToKernel): void {
    if (m.t === 'persisted') return this.journal.persistedThrough(m.through);
    if (m.t === 'consumed') return this.channel.consumedThrough(m.through);
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
        return this.stall.reset();
      case 'sync':
        return undefined;
      case 'modbusRead':
        return this.master(a[0]).read(a[1], a[2], a[3], a[4], a[5]);
      case 'modbusWrite':
        return this.master(a[0]).write(a[1], a[2], a[3], a[4], a[5]);
      case 'stop':
        return this.stop();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.stall.disable();
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    await this.loop.stop();
    await Promise.all([...this.masters.values()].map((m) => m.close()));
  }
}
