// The simulated substation: every bus of a scenario served as real Modbus (TCP, RTU over TCP, or RTU
// on a PTY pair), its devices driven by signal programs and a timeline of events, plus the handles a
// test needs to take over (set values by hand, jump in time, weld a contactor). Seal cameras and
// energy meters behave as the real boxes do (simulator/seals); a scenario's `personnel:` section
// adds the reader network (simulator/personnel), whose cards also walk past the linked seal cameras.
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SimulatorError } from './errors.js';
import { ModbusSlaveServer, type ServerEndpoint } from './modbus-server.js';
import { PtyPair, PtyPairError } from './pty-pair.js';
import { type ReaderNetwork, startReaderNetwork } from './personnel/reader-network.js';
import { RelayWatchdog } from './relay-watchdog.js';
import type { FaultKind, Scenario, ScenarioBus, ScenarioDevice, ScenarioEvent, SealLink, UncardedCrossing } from './scenario.js';
import { VirtualEnergyMeter } from './seals/energy-meter.js';
import { VirtualSealCamera } from './seals/seal-camera.js';
import type { SimWorld } from './world-state.js';
import { evaluateSignal, seedFromName, type Signal } from './signals.js';
import { type ChannelValue, ProfileDevice } from './virtual-device.js';

export interface SimulatorOptions {
  /** How often signals and events are evaluated, ms. */
  tickMs?: number;
  /** One human-readable line per notable thing (servers up, events, gateway writes). */
  log?: (line: string) => void;
  /** Where device profiles are read from (default: board-configs/profiles). */
  profilesDir?: string;
}

export const SIMULATOR_DEFAULTS = {
  tickMs: 100,
  /** Line speed of RTU buses whose scenario gives none. */
  baudRate: 9600,
  log: (_line: string): void => {},
} as const;

export interface StartOptions {
  /** Start with the scenario clock stopped at 0: signals and events run only on advanceTo(). */
  paused?: boolean;
  /** Continue a world saved by world() (simulator/world-state.ts) instead of starting at 0. */
  resume?: SimWorld;
}

/** Where a bus can be reached once started. */
export interface BusEndpointInfo {
  id: string;
  type: 'tcp' | 'rtu-over-tcp' | 'rtu-pty';
  /** TCP kinds: the address and the port actually bound (useful with port 0). */
  host?: string;
  port?: number;
  /** rtu-pty: the path the gateway opens, and the other end the simulator serves. */
  link?: string;
  servedPath?: string;
  /** RTU kinds: the line speed used for reply timing. */
  baudRate?: number;
}

interface SimDevice {
  busId: string;
  config: ScenarioDevice;
  device: ProfileDevice;
  /** The module's hardware watchdog, when the scenario gives it one. */
  watchdog?: RelayWatchdog;
  /** Channels driven by a signal program, with the noise seed of each. */
  programs: Map<string, { signal: Signal; seed: number }>;
  /** Channels an event has forced; their program is suspended until the event ends. */
  forced: Set<string>;
  /** Follower frozen at its current value (welded contactor). */
  stuck: boolean;
  followTimer?: NodeJS.Timeout;
}

interface SimBus {
  config: ScenarioBus;
  devices: SimDevice[];
  server?: ModbusSlaveServer;
  pty?: PtyPair;
  info?: BusEndpointInfo;
  down: boolean;
  /** Bus up/down transitions run one after another. */
  transition: Promise<void>;
}

type TimelineEntry = { time: number; phase: 'start' | 'end'; event: ScenarioEvent; index: number };

export class SubstationSimulator {
  readonly scenario: Scenario;
  private readonly options: Required<Omit<SimulatorOptions, 'profilesDir'>>;
  private readonly buses = new Map<string, SimBus>();
  private readonly timeline: TimelineEntry[];
  private nextEntry = 0;
  /** Undo information for status events with `until`: the flags before the event. */
  private readonly statusBefore = new Map<number, { sensorFault?: boolean; calibrating?: boolean }>();
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private ticker?: NodeJS.Timeout;
  private clockRunning = false;
  private tickCount = 0;
  /** Scenario time = baseTime + (now - baseWall) while the clock runs. */
  private baseTime = 0;
  private baseWall = 0;
  private network: ReaderNetwork | null = null;
  /** Per seal link: the tags in the reader's range at the last look, and how often each arrived. */
  private readonly sealLinks: { link: SealLink; camera: VirtualSealCamera; inRange: Set<number>; arrivals: Map<number, number> }[] = [];
  private readonly uncarded: UncardedCrossing[];
  private nextUncarded = 0;

  constructor(scenario: Scenario, options: SimulatorOptions = {}) {
    if (!scenario || !Array.isArray(scenario.buses)) {
      throw new TypeError(`SubstationSimulator: scenario must be a parsed scenario (loadScenario), got ${typeof scenario}`);
    }
    const tickMs = options.tickMs ?? SIMULATOR_DEFAULTS.tickMs;
    if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > 10_000) {
      throw new TypeError(`SubstationSimulator: tickMs must be an integer 10..10000, got ${String(options.tickMs)}`);
    }
    if (options.log !== undefined && typeof options.log !== 'function') {
      throw new TypeError(`SubstationSimulator: log must be a function, got ${typeof options.log}`);
    }
    this.scenario = scenario;
    this.options = { tickMs, log: options.log ?? SIMULATOR_DEFAULTS.log };

    for (const bus of scenario.buses) {
      const simBus: SimBus = { config: bus, devices: [], down: false, transition: Promise.resolve() };
      for (const config of bus.devices) {
        const device = createDevice(config, bus, options.profilesDir);
        const programs = new Map<string, { signal: Signal; seed: number }>();
        for (const [channel, signal] of Object.entries(config.values)) {
          programs.set(channel, { signal, seed: seedFromName(`${bus.id}/${config.unit}/${channel}`, scenario.seed) });
        }
        const watchdog = config.watchdog ? new RelayWatchdog(device, config.watchdog) : undefined;
        simBus.devices.push({ busId: bus.id, config, device, programs, forced: new Set(), stuck: false, ...(watchdog ? { watchdog } : {}) });
      }
      this.buses.set(bus.id, simBus);
    }
    this.timeline = buildTimeline(scenario.events);
    for (const link of scenario.personnel?.sealLinks ?? []) {
      this.sealLinks.push({ link, camera: this.sealCamera(link.bus, link.unit), inRange: new Set(), arrivals: new Map() });
    }
    this.uncarded = [...(scenario.personnel?.uncarded ?? [])].sort((a, b) => a.at - b.at);
    for (const c of this.uncarded) this.sealCamera(c.bus, c.unit);
    for (const bus of this.buses.values()) for (const d of bus.devices) this.wireDevice(bus, d);
  }

  // ---- Lifecycle -------------------------------------------------------------------------------

  /** Bring every bus up and start the scenario clock. Resolves with where each bus listens. */
  async start(options: StartOptions = {}): Promise<BusEndpointInfo[]> {
    if (this.state !== 'new') throw new SimulatorError('bad-state', `SubstationSimulator: start() called while ${this.state}`);
    this.state = 'starting';
    const resume = options.resume;
    if (resume) this.restoreWorld(resume);
    // Power-up state first, so the very first poll after the listener opens reads real values.
    for (const bus of this.buses.values()) {
      for (const d of bus.devices) {
        if (d.config.status) d.device.setStatus(d.config.status);
        for (const [channel, value] of Object.entries(d.config.initial)) d.device.set(channel, value);
      }
      for (const d of bus.devices) if (d.config.follows) this.syncFollower(bus, d);
    }
    this.driveSignals(resume?.time ?? 0);
    try {
      for (const bus of this.buses.values()) await this.bringUp(bus);
      await this.startPersonnel();
    } catch (err) {
      await this.shutDown();
      throw err;
    }
    // Events at t = 0 fire once the buses exist, so that even a bus-down at 0 has a bus to take down.
    this.state = 'running';
    this.evaluateAt(resume?.time ?? 0);
    this.baseTime = resume?.time ?? 0;
    this.baseWall = performance.now();
    this.clockRunning = !options.paused;
    this.ticker = setInterval(() => this.tick(), this.options.tickMs);
    this.ticker.unref();
    await this.settled();
    return this.endpoints;
  }

  /** Close every listener and PTY, cancel timers. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    await this.shutDown();
  }

  /** Where each bus listens (after start). */
  get endpoints(): BusEndpointInfo[] {
    return [...this.buses.values()].flatMap((b) => (b.info ? [{ ...b.info }] : []));
  }

  // ---- Test API --------------------------------------------------------------------------------

  /** The simulated reader network of the scenario's `personnel:` section (null without one, or before start). */
  get readerNetwork(): ReaderNetwork | null {
    return this.network;
  }

  /** The hardware watchdog of the relay module answering on `unit` of a bus (scenario key `watchdog`). */
  watchdog(busId: string, unit: number): RelayWatchdog {
    const watchdog = this.simDevice(busId, unit).watchdog;
    if (!watchdog) throw new SimulatorError('unknown-device', `${busId} unit ${unit} has no watchdog in scenario "${this.scenario.name}"`, { busId, unit });
    return watchdog;
  }

  /** The seal camera answering on `unit` of a bus (tests: personIn, reboot, setTamper). */
  sealCamera(busId: string, unit: number): VirtualSealCamera {
    const device = this.simDevice(busId, unit).device;
    if (!(device instanceof VirtualSealCamera)) throw new SimulatorError('unknown-device', `${busId} unit ${unit} is a ${device.profile.name}, not a seal-camera`, { busId, unit });
    return device;
  }

  /** The energy meter answering on `unit` of a bus (tests: setPower, setMeterFault). */
  energyMeter(busId: string, unit: number): VirtualEnergyMeter {
    const device = this.simDevice(busId, unit).device;
    if (!(device instanceof VirtualEnergyMeter)) throw new SimulatorError('unknown-device', `${busId} unit ${unit} is a ${device.profile.name}, not an energy-meter`, { busId, unit });
    return device;
  }

  /** The device answering on `unit` (its current unit id) on a bus. */
  device(busId: string, unit: number): ProfileDevice {
    return this.simDevice(busId, unit).device;
  }

  /** Stop the scenario clock: signals and events hold, values stay as tests set them. */
  pause(): void {
    if (!this.clockRunning) return;
    this.baseTime = this.time;
    this.clockRunning = false;
  }

  /** Restart the scenario clock from where it was paused. */
  resume(): void {
    if (this.clockRunning || this.state !== 'running') return;
    this.baseWall = performance.now();
    this.clockRunning = true;
  }

  get paused(): boolean {
    return !this.clockRunning;
  }

  /** Timer ticks seen since start, paused or not: lets a test wait for "the clock had its chance". */
  get ticks(): number {
    return this.tickCount;
  }

  /** Current scenario time, seconds. */
  get time(): number {
    return this.clockRunning ? this.baseTime + (performance.now() - this.baseWall) / 1000 : this.baseTime;
  }

  /**
   * Jump the scenario clock forward to `seconds`: fires every event passed on the way (in order),
   * evaluates the signals at `seconds`, and waits for any bus going down or up. Keeps paused/running.
   */
  async advanceTo(seconds: number): Promise<void> {
    if (this.state !== 'running') throw new SimulatorError('bad-state', `SubstationSimulator: advanceTo() needs a started simulator (it is ${this.state})`);
    if (!Number.isFinite(seconds)) throw new TypeError(`advanceTo: seconds must be a finite number, got ${String(seconds)}`);
    const now = this.time;
    if (seconds < now) {
      throw new SimulatorError('time-backwards', `advanceTo(${seconds}): scenario time only moves forward (it is ${now.toFixed(3)} s)`, { seconds, now });
    }
    this.baseTime = seconds;
    this.baseWall = performance.now();
    this.evaluateAt(seconds);
    await this.settled();
  }

  /** Freeze (or release) a follower at its current value, like a welded contactor. */
  setStuck(busId: string, unit: number, stuck: boolean): void {
    const bus = this.bus(busId);
    const d = this.simDevice(busId, unit);
    if (!d.config.follows) {
      throw new SimulatorError('not-a-follower', `${busId} unit ${unit} (${d.config.profile}) does not follow another device`, { busId, unit });
    }
    if (d.stuck === stuck) return;
    d.stuck = stuck;
    if (stuck) {
      clearTimeout(d.followTimer);
      d.followTimer = undefined;
    } else {
      // Repaired: the contact moves to where the coil says, after the usual delay.
      this.scheduleFollow(bus, d);
    }
  }

  /** Take a whole bus away (listener closed / PTY removed) or bring it back on the same port/path. */
  async setBusDown(busId: string, down: boolean): Promise<void> {
    const bus = this.bus(busId);
    this.queueBusTransition(bus, down);
    await bus.transition;
  }

  // ---- Clock -----------------------------------------------------------------------------------

  private tick(): void {
    this.tickCount++;
    // Cards walk on the reader network's own clock, paused or not: their cameras follow them.
    if (this.state === 'running') this.followCards();
    if (!this.clockRunning || this.state !== 'running') return;
    try {
      this.evaluateAt(this.time);
    } catch (err) {
      // The demo runs the simulator inside the gateway's process: a bad tick must never take it down.
      const message = (err as Error).message;
      if (message !== this.lastTickError) this.log(`tick at t=${this.time.toFixed(1)}s failed: ${message}`);
      this.lastTickError = message;
    }
  }

  private lastTickError: string | undefined;

  /** Fire timeline entries up to t, then drive every programmed channel to its value at t. */
  private evaluateAt(t: number): void {
    while (this.nextEntry < this.timeline.length && this.timeline[this.nextEntry]!.time <= t) {
      this.fire(this.timeline[this.nextEntry]!);
      this.nextEntry++;
    }
    while (this.nextUncarded < this.uncarded.length && this.uncarded[this.nextUncarded]!.at <= t) {
      const c = this.uncarded[this.nextUncarded++]!;
      const camera = this.sealCamera(c.bus, c.unit);
      if (c.direction === 'in') camera.personIn(c.count);
      else camera.personOut(c.count);
      this.log(`t=${c.at}s ${c.bus} unit ${c.unit}: ${c.count} ${c.count === 1 ? 'person' : 'persons'} without a card crossed ${c.direction}${c.note ? ` — ${c.note}` : ''}`);
    }
    this.driveSignals(t);
  }

  // ---- Resume ----------------------------------------------------------------------------------

  /** Everything needed to carry on after a restart: start({ resume: sim.world() }). */
  world(): SimWorld {
    const cameras: SimWorld['cameras'] = [];
    for (const bus of this.buses.values()) {
      for (const d of bus.devices) if (d.device instanceof VirtualSealCamera) cameras.push({ bus: bus.config.id, unit: d.device.unit, ...d.device.powerState() });
    }
    return {
      version: 1,
      scenario: this.scenario.name,
      time: this.time,
      cardTime: this.network?.scenarioTime ?? this.time,
      timelineDone: this.nextEntry,
      uncardedDone: this.nextUncarded,
      cameras,
      sealLinks: this.sealLinks.map((s) => ({ bus: s.link.bus, unit: s.link.unit, reader: s.link.reader, arrivals: [...s.arrivals], inRange: [...s.inRange] })),
    };
  }

  /** What was played stays played; cameras keep counting from where they were. */
  private restoreWorld(w: SimWorld): void {
    if (w.scenario !== this.scenario.name) throw new SimulatorError('bad-state', `the saved world is of scenario "${w.scenario}", not "${this.scenario.name}"`);
    this.nextEntry = Math.min(w.timelineDone, this.timeline.length);
    this.nextUncarded = Math.min(w.uncardedDone, this.uncarded.length);
    for (const c of w.cameras) this.sealCamera(c.bus, c.unit).resumePowerState(c);
    for (const saved of w.sealLinks) {
      const link = this.sealLinks.find((s) => s.link.bus === saved.bus && s.link.unit === saved.unit && s.link.reader === saved.reader);
      if (!link) continue; // the scenario no longer links this reader and camera
      link.arrivals = new Map(saved.arrivals);
      link.inRange = new Set(saved.inRange);
    }
    this.resumeCardTime = w.cardTime;
  }

  private resumeCardTime = 0;

  // ---- Personnel -------------------------------------------------------------------------------

  private async startPersonnel(): Promise<void> {
    const p = this.scenario.personnel;
    if (!p) return;
    this.network = await startReaderNetwork({
      readers: p.readers.map((r) => ({ address: r.address, name: r.name, protocol: r.protocol, power: r.power, ...(r.canPage === undefined ? {} : { canPage: r.canPage }) })),
      cards: p.cards,
      seed: p.seed,
      reportIntervalMs: p.reportIntervalS * 1000,
      baudRate: p.baudRate,
      speed: p.speed,
      line: p.line.type === 'tcp' ? { type: 'tcp', host: p.line.host, port: p.line.port } : { type: 'pty' },
      startAtS: this.resumeCardTime,
      ...(p.line.type === 'pty' && p.line.dir ? { ptyDir: p.line.dir } : {}),
      ...(p.modbus ? { modbusEndpoint: { type: 'tcp', host: p.modbus.host, port: p.modbus.port } } : {}),
    });
    const net = this.network;
    const line = net.linePort !== null ? `reader line RS-485-over-TCP on ${p.line.type === 'tcp' ? p.line.host : ''}:${net.linePort}` : net.serialPath ? `reader line on PTY ${net.serialPath}` : 'no framed readers';
    const fifo = net.modbusPort !== null ? `; Modbus-FIFO readers on Modbus TCP ${p.modbus?.host ?? '127.0.0.1'}:${net.modbusPort}` : '';
    this.log(`personnel: ${p.readers.length} readers, ${p.cards.length} cards; ${line}${fifo}`);
  }

  /** A card arriving at a linked reader walks past its seal camera: in on odd arrivals, out on even ones. */
  private followCards(): void {
    const net = this.network;
    if (!net) return;
    for (const s of this.sealLinks) {
      let now: Set<number>;
      try {
        now = new Set(net.cardsAt(s.link.reader));
      } catch {
        continue;
      }
      for (const tag of now) {
        if (s.inRange.has(tag)) continue;
        const n = (s.arrivals.get(tag) ?? 0) + 1;
        s.arrivals.set(tag, n);
        const into = (n % 2 === 1) === (s.link.firstPass === 'in');
        if (into) s.camera.personIn();
        else s.camera.personOut();
      }
      s.inRange = now;
    }
  }

  private driveSignals(t: number): void {
    for (const bus of this.buses.values()) {
      for (const d of bus.devices) {
        for (const [channel, { signal, seed }] of d.programs) {
          if (d.forced.has(channel)) continue;
          this.applySignal(d, channel, evaluateSignal(signal, t, seed));
        }
      }
    }
  }

  private applySignal(d: SimDevice, channel: string, value: number): void {
    // A real transmitter saturates at the ends of its output; so does the register.
    const { low, high } = d.device.channelLimits(channel);
    const v = Math.min(high, Math.max(low, value));
    // A meter's energy register integrates its power: drive the load, not the register.
    if (d.device instanceof VirtualEnergyMeter && channel === 'power') d.device.setPower(Math.max(0, v));
    else d.device.set(channel, v);
  }

  // ---- Events ----------------------------------------------------------------------------------

  private fire(entry: TimelineEntry): void {
    const { event, phase, index } = entry;
    const bus = this.bus(event.bus);
    const where = event.unit !== undefined ? `${event.bus} unit ${event.unit}` : event.bus;
    const note = phase === 'start' && event.note ? ` — ${event.note}` : '';
    if (event.down) {
      this.log(`t=${entry.time}s ${where}: bus ${phase === 'start' ? 'down' : 'back up'}${note}`);
      this.queueBusTransition(bus, phase === 'start');
      return;
    }
    // Events name the unit a device had at scenario start; it may since have been re-addressed.
    const d = bus.devices.find((x) => x.config.unit === event.unit)!;
    if (event.fault) {
      this.log(`t=${entry.time}s ${where}: ${event.fault} ${phase === 'start' ? 'begins' : 'ends'}${note}`);
      this.applyFault(bus, d, event.fault, phase === 'start');
    } else if (event.set) {
      const forced = Object.entries(event.set);
      if (phase === 'start') {
        this.log(`t=${entry.time}s ${where}: set ${forced.map(([c, v]) => `${c}=${String(v)}`).join(', ')}${note}`);
        for (const [channel, value] of forced) {
          d.forced.add(channel);
          d.device.set(channel, value);
        }
      } else {
        this.log(`t=${entry.time}s ${where}: ${forced.map(([c]) => c).join(', ')} back to ${forced.some(([c]) => d.programs.has(c)) ? 'program' : 'as is'}`);
        for (const [channel] of forced) d.forced.delete(channel);
      }
    } else if (event.responseDelayMs !== undefined) {
      const ms = phase === 'start' ? event.responseDelayMs : 0;
      this.log(`t=${entry.time}s ${where}: ${ms ? `replies ${ms} ms late` : 'replies on time again'}${note}`);
      d.device.setResponseDelay(ms);
    } else if (event.status) {
      if (phase === 'start') {
        const before = d.device.status;
        this.statusBefore.set(index, Object.fromEntries(Object.keys(event.status).map((k) => [k, before[k as 'sensorFault' | 'calibrating']])));
        this.log(`t=${entry.time}s ${where}: status ${JSON.stringify(event.status)}${note}`);
        d.device.setStatus(event.status);
      } else {
        const restore = this.statusBefore.get(index) ?? {};
        this.log(`t=${entry.time}s ${where}: status back to ${JSON.stringify(restore)}`);
        d.device.setStatus(restore);
      }
    } else if (note) {
      this.log(`t=${entry.time}s ${where}:${note.slice(2)}`);
    }
  }

  private applyFault(bus: SimBus, d: SimDevice, fault: FaultKind, on: boolean): void {
    switch (fault) {
      case 'device-failure':
        d.device.setDeviceFailure(on);
        return;
      case 'stuck':
        this.setStuck(bus.config.id, d.device.unit, on);
        return;
      default:
        d.device.setWireFault(on ? fault : null);
    }
  }

  // ---- Followers (feed sensors behind relay-driven contactors) ---------------------------------

  private wireDevice(bus: SimBus, d: SimDevice): void {
    d.device.on('change', (c) => {
      // The heartbeat toggles every gateway tick: its watchdog logs trips and re-arms instead.
      if (c.source === 'wire' && c.channel !== d.watchdog?.heartbeat) this.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: ${c.channel} ${String(c.previous)} → ${String(c.value)} (written by the gateway)`);
      for (const follower of bus.devices) {
        const follows = follower.config.follows;
        if (follows && follows.channel === c.channel && this.leaderOf(bus, follower) === d) this.scheduleFollow(bus, follower);
      }
    });
    d.watchdog?.on('trip', ({ coils, silentMs }) =>
      this.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: watchdog tripped, heartbeat ${d.watchdog!.heartbeat} silent for ${silentMs} ms: ${coils.join(', ')} off (latched)`),
    );
    d.watchdog?.on('rearm', ({ latched }) =>
      this.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: watchdog re-armed by the heartbeat; ${latched.join(', ') || 'no coil'} stay off until written on`),
    );
    d.device.on('unit-changed', ({ from, to }) => {
      const clash = bus.devices.find((x) => x !== d && x.device.unit === to);
      if (clash) {
        // Two boards on one address: on a real line both would answer and collide. Keep the one
        // already there reachable and say so, rather than guess.
        this.log(`${bus.config.id}: unit ${from} (${d.config.profile}) was re-addressed to ${to}, which ${clash.config.profile} already uses — it no longer answers`);
      } else {
        this.log(`${bus.config.id}: unit ${from} (${d.config.profile}) now answers as unit ${to}`);
      }
      // The server indexes devices by unit when they are added: re-register under the new one.
      if (bus.server) {
        bus.server.removeDevice(from);
        if (!clash) bus.server.addDevice(d.device);
      }
    });
    d.device.on('baud-changed', ({ from, to }) => {
      this.log(`${bus.config.id} unit ${d.device.unit}: baud-rate param ${from} → ${to} (recorded; the simulated line stays at ${bus.info?.baudRate ?? 'its rate'})`);
    });
  }

  /** The leader is named by its unit at scenario start, so re-addressing it does not break the wiring. */
  private leaderOf(bus: SimBus, follower: SimDevice): SimDevice | undefined {
    const unit = follower.config.follows?.unit;
    return bus.devices.find((x) => x.config.unit === unit);
  }

  private scheduleFollow(bus: SimBus, follower: SimDevice): void {
    if (follower.stuck) return;
    clearTimeout(follower.followTimer);
    const delay = follower.config.follows!.delayMs;
    follower.followTimer = setTimeout(() => {
      follower.followTimer = undefined;
      if (this.state === 'running' || this.state === 'starting') this.syncFollower(bus, follower);
    }, delay);
    follower.followTimer.unref();
  }

  private syncFollower(bus: SimBus, follower: SimDevice): void {
    if (follower.stuck) return;
    const follows = follower.config.follows!;
    const leader = this.leaderOf(bus, follower);
    if (!leader) return;
    const on = truthy(leader.device.get(follows.channel)) !== follows.invert;
    follower.device.set(follows.into, on ? 1 : 0);
  }

  // ---- Buses -----------------------------------------------------------------------------------

  private async bringUp(bus: SimBus): Promise<void> {
    const listen = bus.config.listen;
    // One device per unit id: after a re-addressing clash the board that was configured there keeps it.
    const byUnit = new Map<number, ProfileDevice>();
    for (const d of bus.devices) if (d.device.unit === d.config.unit) byUnit.set(d.device.unit, d.device);
    for (const d of bus.devices) if (!byUnit.has(d.device.unit)) byUnit.set(d.device.unit, d.device);
    const devices = [...byUnit.values()];
    let endpoint: ServerEndpoint;
    let info: BusEndpointInfo;
    if (listen.type === 'rtu-pty') {
      bus.pty ??= await createPty(listen.link, bus.config.id);
      const servedPath = bus.pty.masterPath === listen.link ? bus.pty.slavePath : bus.pty.masterPath;
      const baudRate = bus.config.baudRate ?? SIMULATOR_DEFAULTS.baudRate;
      endpoint = { type: 'rtu-serial', path: servedPath, baudRate, parity: listen.parity, dataBits: listen.dataBits, stopBits: listen.stopBits };
      info = { id: bus.config.id, type: 'rtu-pty', link: listen.link, servedPath, baudRate };
    } else {
      // After a bus-down the listener comes back on the port it had, even if the scenario said 0.
      const port = bus.info?.port ?? listen.port;
      if (listen.type === 'tcp') {
        endpoint = { type: 'tcp', host: listen.host, port };
        info = { id: bus.config.id, type: 'tcp', host: listen.host, port };
      } else {
        const baudRate = bus.config.baudRate ?? SIMULATOR_DEFAULTS.baudRate;
        endpoint = { type: 'rtu-over-tcp', host: listen.host, port, baudRate };
        info = { id: bus.config.id, type: 'rtu-over-tcp', host: listen.host, port, baudRate };
      }
    }
    const server = new ModbusSlaveServer(endpoint, devices);
    server.on('close', (err?: Error) => {
      if (bus.server === server) this.log(`${bus.config.id}: serial port closed${err ? ` (${err.message})` : ''}`);
    });
    let started: { port?: number };
    try {
      started = await server.start();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = info.type === 'rtu-pty' ? info.servedPath : `${info.host}:${info.port}`;
      throw new SimulatorError('listen-failed', `${bus.config.id}: cannot serve ${info.type} on ${where}: ${e.code ?? ''} ${e.message}`.replace(/ {2}/g, ' '), { busId: bus.config.id, cause: e });
    }
    if (started.port !== undefined) info.port = started.port;
    bus.server = server;
    bus.info = info;
    bus.down = false;
    const units = bus.devices.map((d) => `${d.device.unit} ${d.config.profile}`).join(', ');
    this.log(`${bus.config.id}: ${describeEndpoint(info)} — units ${units}`);
  }

  private async takeDown(bus: SimBus): Promise<void> {
    const server = bus.server;
    bus.server = undefined;
    bus.down = true;
    if (server) await server.stop();
    if (bus.pty) {
      await bus.pty.kill();
    }
  }

  private queueBusTransition(bus: SimBus, down: boolean): void {
    bus.transition = bus.transition
      .then(async () => {
        if (this.state !== 'running' && this.state !== 'starting') return;
        if (down && !bus.down) await this.takeDown(bus);
        else if (!down && bus.down) {
          if (bus.pty) await bus.pty.recreate();
          await this.bringUp(bus);
        }
      })
      .catch((err: Error) => this.log(`${bus.config.id}: bus ${down ? 'down' : 'up'} failed: ${err.message}`));
  }

  private async settled(): Promise<void> {
    await Promise.all([...this.buses.values()].map((b) => b.transition));
  }

  private async shutDown(): Promise<void> {
    this.state = 'stopped';
    this.clockRunning = false;
    clearInterval(this.ticker);
    this.ticker = undefined;
    const network = this.network;
    this.network = null;
    await network?.stop().catch((err: Error) => this.log(`stop: reader network: ${err.message}`));
    for (const bus of this.buses.values()) {
      for (const d of bus.devices) {
        clearTimeout(d.followTimer);
        d.watchdog?.stop();
      }
    }
    await this.settled();
    const failures: string[] = [];
    for (const bus of this.buses.values()) {
      try {
        await bus.server?.stop();
      } catch (err) {
        failures.push(`${bus.config.id}: ${(err as Error).message}`);
      }
      bus.server = undefined;
      try {
        await bus.pty?.dispose();
      } catch (err) {
        failures.push(`${bus.config.id} pty: ${(err as Error).message}`);
      }
      bus.pty = undefined;
    }
    if (failures.length) this.log(`stop: ${failures.join('; ')}`);
  }

  // ---- Lookups ---------------------------------------------------------------------------------

  private bus(busId: string): SimBus {
    const bus = this.buses.get(busId);
    if (!bus) throw new SimulatorError('unknown-bus', `no bus "${busId}" in scenario "${this.scenario.name}" (buses: ${[...this.buses.keys()].join(', ')})`, { busId });
    return bus;
  }

  private simDevice(busId: string, unit: number): SimDevice {
    const bus = this.bus(busId);
    const d = bus.devices.find((x) => x.device.unit === unit);
    if (!d) {
      const units = bus.devices.map((x) => x.device.unit).join(', ');
      throw new SimulatorError('unknown-device', `no device answers on unit ${unit} of bus "${busId}" (units: ${units})`, { busId, unit });
    }
    return d;
  }

  private log(line: string): void {
    try {
      this.options.log(line);
    } catch {
      // A broken log sink must not stop the simulated substation.
    }
  }
}

/** Seal cameras and energy meters are the behavioural models (counters that wrap, energy that integrates). */
function createDevice(config: ScenarioDevice, bus: ScenarioBus, profilesDir: string | undefined): ProfileDevice {
  const dir = profilesDir ? { profilesDir } : {};
  if (config.profile === 'seal-camera') return new VirtualSealCamera({ unit: config.unit, ...dir });
  if (config.profile === 'energy-meter') return new VirtualEnergyMeter({ unit: config.unit, ...dir });
  return new ProfileDevice(config.profile, {
    unit: config.unit,
    ...(isRtu(bus) ? { baudRate: bus.baudRate ?? SIMULATOR_DEFAULTS.baudRate } : {}),
    params: config.params,
    ...dir,
  });
}

function buildTimeline(events: readonly ScenarioEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  events.forEach((event, index) => {
    entries.push({ time: event.at, phase: 'start', event, index });
    if (event.until !== undefined) entries.push({ time: event.until, phase: 'end', event, index });
  });
  // Ends before starts at the same instant, so back-to-back faults hand over cleanly; then file order.
  return entries.sort((a, b) => a.time - b.time || (a.phase === b.phase ? a.index - b.index : a.phase === 'end' ? -1 : 1));
}

function isRtu(bus: ScenarioBus): boolean {
  return bus.listen.type !== 'tcp';
}

function truthy(value: ChannelValue): boolean {
  return typeof value === 'boolean' ? value : value !== 0;
}

function describeEndpoint(info: BusEndpointInfo): string {
  switch (info.type) {
    case 'tcp':
      return `Modbus TCP on ${info.host}:${info.port}`;
    case 'rtu-over-tcp':
      return `Modbus RTU over TCP on ${info.host}:${info.port} (${info.baudRate} baud line time)`;
    case 'rtu-pty':
      return `Modbus RTU on PTY ${info.link} (simulator end ${info.servedPath}, ${info.baudRate} baud line time)`;
  }
}

async function createPty(link: string, busId: string): Promise<PtyPair> {
  // The gateway's side is `link` itself (names[0]); the simulator serves the sibling "<link>.sim".
  await mkdir(dirname(link), { recursive: true });
  try {
    return await PtyPair.create({ dir: dirname(link), names: [basename(link), `${basename(link)}.sim`] });
  } catch (err) {
    if (err instanceof PtyPairError && err.code === 'socat-missing') {
      throw new SimulatorError(
        'socat-missing',
        `${busId}: an rtu-pty bus needs socat to create the serial PTY pair ${link}; install it (apt-get install socat) or use rtu-over-tcp. (${err.message})`,
        { busId, cause: err },
      );
    }
    throw err;
  }
}
