// The simulated substation: every bus of a scenario served as real Modbus (TCP, RTU over TCP, or RTU
// on a PTY pair), its devices driven by signal programs and a timeline of events, plus the handles a
// test needs to take over (set values by hand, jump in time, weld a contactor). Seal cameras and
// energy meters behave as the real boxes do (simulator/seals); a scenario's `personnel:` section
// adds the reader network (simulator/personnel), whose cards also walk past the linked seal cameras.
import { performance } from 'node:perf_hooks';
import { followCards, type SealLinkState, startPersonnel } from './card-walks.js';
import { SimulatorError } from './errors.js';
import { scheduleFollow, syncFollower, wireDevice } from './followers.js';
import type { ReaderNetwork } from './personnel/reader-network.js';
import { RelayWatchdog } from './relay-watchdog.js';
import type { Scenario, UncardedCrossing } from './scenario.js';
import { VirtualEnergyMeter } from './seals/energy-meter.js';
import { VirtualSealCamera } from './seals/seal-camera.js';
import { createDevice, type SimBus, type SimDevice, serveBus, stopServing } from './sim-bus.js';
import { ScenarioTimeline } from './sim-events.js';
import { type BusEndpointInfo, SIMULATOR_DEFAULTS, type SimulatorOptions, type StartOptions } from './sim-options.js';
import { evaluateSignal, seedFromName, type Signal } from './signals.js';
import type { SimWorld } from './world-state.js';
import type { ProfileDevice } from './virtual-device.js';

// The options, the bus serving, the event timeline, the followers and the card walks live in
// sim-options.ts, sim-bus.ts, sim-events.ts, followers.ts and card-walks.ts; callers keep
// importing the public types from here.
export { type BusEndpointInfo, SIMULATOR_DEFAULTS, type SimulatorOptions, type StartOptions } from './sim-options.js';

export class SubstationSimulator {
  readonly scenario: Scenario;
  private readonly options: Required<Omit<SimulatorOptions, 'profilesDir'>>;
  private readonly buses = new Map<string, SimBus>();
  private readonly timeline: ScenarioTimeline;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private ticker?: NodeJS.Timeout;
  private clockRunning = false;
  private tickCount = 0;
  /** Scenario time = baseTime + (now - baseWall) while the clock runs. */
  private baseTime = 0;
  private baseWall = 0;
  private network: ReaderNetwork | null = null;
  private readonly sealLinks: SealLinkState[] = [];
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
    this.timeline = new ScenarioTimeline(scenario.events, {
      bus: (busId) => this.bus(busId),
      setBusDown: (bus, down) => this.queueBusTransition(bus, down),
      setStuck: (busId, unit, stuck) => this.setStuck(busId, unit, stuck),
      log: (line) => this.log(line),
    });
    for (const link of scenario.personnel?.sealLinks ?? []) {
      this.sealLinks.push({ link, camera: this.sealCamera(link.bus, link.unit), inRange: new Set(), arrivals: new Map() });
    }
    this.uncarded = [...(scenario.personnel?.uncarded ?? [])].sort((a, b) => a.at - b.at);
    for (const c of this.uncarded) this.sealCamera(c.bus, c.unit);
    for (const bus of this.buses.values()) for (const d of bus.devices) wireDevice(bus, d, { log: (line) => this.log(line), isLive: this.isLive });
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
      for (const d of bus.devices) if (d.config.follows) syncFollower(bus, d);
    }
    this.driveSignals(resume?.time ?? 0);
    try {
      for (const bus of this.buses.values()) await serveBus(bus, (line) => this.log(line));
      this.network = await startPersonnel(this.scenario, this.resumeCardTime, (line) => this.log(line));
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
      scheduleFollow(bus, d, this.isLive);
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
    if (this.state === 'running' && this.network) followCards(this.network, this.sealLinks);
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
    this.timeline.fireUpTo(t);
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
      timelineDone: this.timeline.done,
      uncardedDone: this.nextUncarded,
      cameras,
      sealLinks: this.sealLinks.map((s) => ({ bus: s.link.bus, unit: s.link.unit, reader: s.link.reader, arrivals: [...s.arrivals], inRange: [...s.inRange] })),
    };
  }

  /** What was played stays played; cameras keep counting from where they were. */
  private restoreWorld(w: SimWorld): void {
    if (w.scenario !== this.scenario.name) throw new SimulatorError('bad-state', `the saved world is of scenario "${w.scenario}", not "${this.scenario.name}"`);
    this.timeline.resumeAt(w.timelineDone);
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

  // ---- Buses -----------------------------------------------------------------------------------

  private queueBusTransition(bus: SimBus, down: boolean): void {
    bus.transition = bus.transition
      .then(async () => {
        if (this.state !== 'running' && this.state !== 'starting') return;
        if (down && !bus.down) await stopServing(bus);
        else if (!down && bus.down) {
          if (bus.pty) await bus.pty.recreate();
          await serveBus(bus, (line) => this.log(line));
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

  private readonly isLive = (): boolean => this.state === 'running' || this.state === 'starting';

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
