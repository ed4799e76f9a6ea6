// A small heading substation for the safety scenario tests, end to end over real wires: simulated
// sensors behind Modbus TCP, a relay module, feed sensors and the local fans' on/off sensors behind
// an RTU-over-TCP converter (the fans and the load sides follow their relay coils like contactors
// do), an operator panel running StandardFirmata on a socat PTY (siren buzzer, beacon LED,
// evacuation relay, acknowledge button, fan unlock key), and the real Gateway polling it all.
// Tests assert what the field sees: relay coils on the simulator side and pin levels on the board.
// Not a test file itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../edge/config/load-config.js';
import { Gateway } from '../../edge/gateway.js';
import { createLogger } from '../../edge/log.js';
import type { SafetyEvent } from '../../edge/safety/events.js';
import { parseScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import type { RelayWatchdog } from '../../simulator/relay-watchdog.js';
import type { ProfileDevice } from '../../simulator/virtual-device.js';
import { waitFor } from '../helpers/wait-for.js';
import { FirmataDevice } from './helpers/firmata-device.js';

/** Relay-module coils (simulator bus "relay", unit 1). */
export const COIL = { heading: 0, fan: 1, upstream: 2, standbyFan: 3, heartbeat: 5 } as const;
/** Panel board pins. */
export const PIN = { evacuation: 7, siren: 8, beacon: 13, acknowledge: 2, unlockKey: 3 } as const;
/** Simulator units. */
export const FIELD = { t1: 1, t2: 2, t3: 3 } as const;
export const RELAY = { module: 1, feedHeading: 2, feedFan: 3, fan: 4, standbyFan: 5 } as const;

export interface ScenarioRigOptions {
  /** Poll interval of the methane sensors (default 500) and while in alarm (default 100). */
  pollMs?: number;
  alarmPollMs?: number;
  /** safety.faultLockoutHoldMs (default 3000 here: the 60 s standard default is engine-tested). */
  faultLockoutHoldMs?: number;
  feedTimeoutMs?: number;
  /** Declare a standby local fan (clause g). */
  standby?: boolean;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Start a gateway (default true); false to start it later with startGateway(). */
  gateway?: boolean;
  /**
   * 'inline' runs the safety kernel on the test's thread, for tests that reach into the engine or
   * stall the kernel's own event loop; default: its own process, as in production.
   */
  kernel?: 'process' | 'inline';
  /**
   * Give the relay module a hardware watchdog on the heartbeat coil (simulator/relay-watchdog.ts)
   * with this time: when the heartbeat stops, the heading and upstream power coils drop (the local
   * fan coils are not guarded: a dead substation must not stop ventilation, clause f).
   */
  watchdogMs?: number;
}

export const scenarioRigDefaults = { pollMs: 500, alarmPollMs: 100, faultLockoutHoldMs: 3000, feedTimeoutMs: 1000, standby: false, gateway: true } as const;

function scenarioText(watchdogMs?: number): string {
  const watchdog = watchdogMs === undefined ? '' : `, watchdog: { heartbeat: coil${COIL.heartbeat}, timeoutMs: ${watchdogMs}, coils: [coil${COIL.heading}, coil${COIL.upstream}] }`;
  return `
name: safety-scenario
buses:
  - id: field
    listen: { type: tcp, host: 127.0.0.1, port: 0 }
    devices:
      - { unit: 1, profile: methane-sensor, description: T1 heading face, initial: { value: 0.3 } }
      - { unit: 2, profile: methane-sensor, description: T2 heading return, initial: { value: 0.3 } }
      - { unit: 3, profile: methane-sensor, description: T3 before the local fan, initial: { value: 0.1 } }
  - id: relay
    listen: { type: rtu-over-tcp, host: 127.0.0.1, port: 0 }
    baudRate: 115200
    devices:
      - { unit: 1, profile: relay-module, initial: { coil0: true, coil1: true, coil2: true }${watchdog} }
      - { unit: 2, profile: feed-sensor, description: load side of heading power, follows: { unit: 1, channel: coil0, delayMs: 100 } }
      - { unit: 3, profile: feed-sensor, description: load side of fan power, follows: { unit: 1, channel: coil1, delayMs: 100 } }
      - { unit: 4, profile: fan-run-sensor, description: main local fan runs while powered, initial: { airflow: 300 }, follows: { unit: 1, channel: coil1, delayMs: 300 } }
      - { unit: 5, profile: fan-run-sensor, description: standby local fan runs while powered, initial: { airflow: 0 }, follows: { unit: 1, channel: coil3, delayMs: 300 } }
`;
}

function configText(o: Required<Omit<ScenarioRigOptions, 'dataDir' | 'gateway' | 'watchdogMs'>>, ports: { field: number; relay: number }, panelPath: string): string {
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const sensor = (id: string, unit: number) => `  - { id: ${id}, bus: field, unit: ${unit}, profile: methane-sensor, pollMs: ${o.pollMs}, alarmPollMs: ${o.alarmPollMs} }`;
  const gas = (code: string, device: string, role: string) =>
    `  - { code: ${code}, sensorType: "0001", device: ${device}, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: ${code}, role: ${role}, zones: [heading] }`;
  const sw = (code: string, type: string, device: string) => `  - { code: ${code}, sensorType: "${type}", device: ${device}, channel: state, unit: "", range: { low: 0, high: 1 }, location: ${code} }`;
  const standby = o.standby ? '\n      standby: { fanOutput: fan2-power, runPoint: FAN2-RUN, startTimeoutMs: 3000 }' : '';
  return `
mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: S01, name: scenario heading }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: ${ports.field}, responseTimeoutMs: 300 }
  - { id: relay, type: rtu-over-tcp, host: 127.0.0.1, port: ${ports.relay}, baudRate: 115200, responseTimeoutMs: 300 }
devices:
${sensor('ch4-t1', 1)}
${sensor('ch4-t2', 2)}
${sensor('ch4-t3', 3)}
  - { id: relay-1, bus: relay, unit: 1, profile: relay-module, pollMs: 500 }
  - { id: feed-h, bus: relay, unit: 2, profile: feed-sensor, pollMs: 200 }
  - { id: feed-f, bus: relay, unit: 3, profile: feed-sensor, pollMs: 200 }
  - { id: fan-1, bus: relay, unit: 4, profile: fan-run-sensor, pollMs: 200 }
  - { id: fan-2, bus: relay, unit: 5, profile: fan-run-sensor, pollMs: 200 }
points:
${gas('T1', 'ch4-t1', 'heading.T1')}
${gas('T2', 'ch4-t2', 'heading.T2')}
${gas('T3', 'ch4-t3', 'heading.T3')}
${sw('FAN-RUN', '1001', 'fan-1')}
  - { code: FAN-AIR, sensorType: "0019", device: fan-1, channel: airflow, unit: "m³/min", range: { low: 0, high: 1000 }, location: duct, role: local-fan.duct, thresholds: { alarmLow: 150 } }
${sw('FAN2-RUN', '1001', 'fan-2')}
${sw('FEED-H', '1011', 'feed-h')}
${sw('FEED-F', '1011', 'feed-f')}
zones:
  - { id: heading, name: heading non-IS power, outputs: [heading-power] }
outputs:
  - { id: heading-power, device: relay-1, channel: coil0, kind: power, feedPoint: FEED-H, feedEscalation: upstream-power }
  - { id: fan-power, device: relay-1, channel: coil1, kind: power, feedPoint: FEED-F }
  - { id: upstream-power, device: relay-1, channel: coil2, kind: power }
  - { id: fan2-power, device: relay-1, channel: coil3, kind: power }
  - { id: heartbeat, device: relay-1, channel: coil5, kind: heartbeat }
  - { id: siren, device: panel, channel: buzzer, kind: siren }
  - { id: beacon, device: panel, channel: beacon, kind: beacon }
  - { id: evacuation, device: panel, channel: evac, kind: evacuation }
boards:
  - id: panel
    firmata: { path: "${panelPath}", reportVersionTimeoutMs: 50 }
    readyTimeoutMs: 5000
    outputs:
      evac: { pin: ${PIN.evacuation}, type: relay }
      buzzer: { pin: ${PIN.siren}, type: buzzer }
      beacon: { pin: ${PIN.beacon}, type: led }
    acknowledgeButton: { pin: ${PIN.acknowledge}, operator: panel.duty }
    unlockKeys:
      - { pin: ${PIN.unlockKey}, fan: fan1, operator: key.fan1, holdMs: 300 }
safety:
  faultLockoutHoldMs: ${o.faultLockoutHoldMs}
  feedTimeoutMs: ${o.feedTimeoutMs}
  startupGraceMs: 5000
  unlockOperators: [key.fan1, zhang.wei]
  remoteCut: { authorities: [dispatch, safety-office] }
  localFans:
    - id: fan1
      fanOutput: fan-power
      runPoint: FAN-RUN
      airflowPoint: FAN-AIR
      ventilates: [heading]
      gasPoints: [T1, T2]
      restartPoints: [T3]${standby}
  integrity:
    calibrations: { T1: "${day}", T2: "${day}", T3: "${day}", FAN-AIR: "${day}" }
`;
}

export class ScenarioRig {
  gateway!: Gateway;
  readonly events: SafetyEvent[] = [];
  /** Every coil change the relay module saw (wire writes), with the time it arrived. */
  readonly coilChanges: { coil: number; on: boolean; at: number }[] = [];
  kernelMode: 'process' | 'inline' = 'process';
  private ownsDataDir: boolean;

  private constructor(
    readonly sim: SubstationSimulator,
    public panel: FirmataDevice,
    private readonly pty: PtyPair,
    readonly dataDir: string,
    readonly configYaml: string,
  ) {
    this.ownsDataDir = false;
    this.relay.on('change', (c) => {
      const m = /^coil(\d+)$/.exec(c.channel);
      if (m && c.source === 'wire') this.coilChanges.push({ coil: Number(m[1]), on: Boolean(c.value), at: performance.now() });
    });
  }

  static async start(opts: ScenarioRigOptions = {}): Promise<ScenarioRig> {
    const o = { ...scenarioRigDefaults, ...opts };
    const sim = new SubstationSimulator(parseScenario(scenarioText(opts.watchdogMs), 'safety-scenario.yaml'));
    const pty = await PtyPair.create();
    let panel: FirmataDevice | undefined;
    try {
      const endpoints = await sim.start({ paused: true });
      panel = await FirmataDevice.open(pty.slavePath);
      const port = (id: string) => endpoints.find((e) => e.id === id)!.port!;
      const yaml = configText(
        { pollMs: o.pollMs, alarmPollMs: o.alarmPollMs, faultLockoutHoldMs: o.faultLockoutHoldMs, feedTimeoutMs: o.feedTimeoutMs, standby: o.standby },
        { field: port('field'), relay: port('relay') },
        pty.masterPath,
      );
      const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'minegate-safety-'));
      const rig = new ScenarioRig(sim, panel, pty, dataDir, yaml);
      rig.kernelMode = opts.kernel ?? 'process';
      rig.ownsDataDir = opts.dataDir === undefined;
      if (o.gateway) await rig.startGateway();
      return rig;
    } catch (err) {
      await panel?.close();
      await sim.stop();
      await pty.dispose();
      throw err;
    }
  }

  /** Start a gateway on the rig's data dir; `beforeStart` may subscribe to readings before the first poll. */
  async startGateway(beforeStart?: (gateway: Gateway) => void): Promise<Gateway> {
    const loaded = parseConfigText(this.configYaml, join(this.dataDir, 'scenario-substation.yaml'));
    this.gateway = new Gateway(loaded, { dataDir: this.dataDir, logger: createLogger({}), poller: { retryBackoffMs: 50, probeMs: 500 }, kernel: this.kernelMode });
    beforeStart?.(this.gateway);
    await this.gateway.start();
    this.gateway.safety.onEvents((events) => this.events.push(...events));
    return this.gateway;
  }

  async stopGateway(): Promise<void> {
    await this.gateway?.stop();
  }

  async close(): Promise<void> {
    await this.gateway?.stop();
    await this.sim.stop();
    await this.panel.close();
    await this.pty.dispose();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  // ---- the field ----

  get relay(): ProfileDevice {
    return this.sim.device('relay', RELAY.module);
  }

  /** The relay module's hardware watchdog (rig option watchdogMs). */
  get watchdog(): RelayWatchdog {
    return this.sim.watchdog('relay', RELAY.module);
  }

  field(unit: number): ProfileDevice {
    return this.sim.device('field', unit);
  }

  relayBus(unit: number): ProfileDevice {
    return this.sim.device('relay', unit);
  }

  /** Set a methane sensor's value (%CH4). */
  methane(unit: number, value: number): void {
    this.field(unit).set('value', value);
  }

  coil(n: number): boolean {
    return Boolean(this.relay.get(`coil${n}`));
  }

  pin(n: number): 0 | 1 {
    return this.panel.level(n);
  }

  /** The main local fan trips on its own: its on/off sensor shows stopped although it is powered. */
  tripFan(unit: number = RELAY.fan): void {
    this.sim.setStuck('relay', unit, true);
    this.relayBus(unit).set('state', 0);
  }

  /** The panel's USB cable is pulled: its serial port vanishes. */
  async unplugPanel(): Promise<void> {
    await this.pty.kill();
    await this.panel.close();
  }

  /** Plugged in again: the same port path, a freshly reset board behind it. */
  async replugPanel(): Promise<void> {
    await this.pty.recreate();
    this.panel = await FirmataDevice.open(this.pty.slavePath);
  }

  /** Hold a button or key switch on the panel (1) or let it go (0). */
  press(pin: number, level: 0 | 1): void {
    this.panel.setInput(pin, level);
  }

  // ---- waiting ----

  async waitCoil(n: number, on: boolean, timeoutMs = 5000, what = `coil${n} ${on ? 'on' : 'off'}`): Promise<number> {
    await waitFor(() => this.coil(n) === on, { timeoutMs, intervalMs: 5, what });
    const at = performance.now();
    // The decision behind the coil was made before the write: one round trip brings the gateway's
    // mirror of the kernel (holds, alarms) up to it (when this test process runs the gateway).
    if (this.gateway?.isStarted) await this.gateway.safety.sync();
    return at;
  }

  async waitPin(n: number, level: 0 | 1, timeoutMs = 5000, what = `panel pin ${n} ${level ? 'high' : 'low'}`): Promise<void> {
    await waitFor(() => this.pin(n) === level, { timeoutMs, intervalMs: 5, what });
  }

  async waitEvent(match: (e: SafetyEvent) => boolean, what: string, timeoutMs = 5000): Promise<SafetyEvent> {
    return waitFor(() => this.events.find(match), { timeoutMs, intervalMs: 10, what });
  }

  /** Running normally: heading, fan and upstream power on with no hold (start-up released), every output confirmed, no alarm, siren and beacon off. */
  async waitRunning(timeoutMs = 10_000): Promise<void> {
    try {
      await waitFor(
        () =>
          this.coil(COIL.heading) &&
          this.coil(COIL.fan) &&
          this.coil(COIL.upstream) &&
          ['heading-power', 'fan-power', 'upstream-power'].every((o) => this.holdsOn(o).length === 0) &&
          this.gateway.safety.outputs().every((o) => o.kind === 'heartbeat' || o.confirmed === true) &&
          this.gateway.safety.engine.alarms().length === 0 &&
          this.pin(PIN.siren) === 0 &&
          this.pin(PIN.beacon) === 0,
        { timeoutMs, intervalMs: 10, what: 'normal running' },
      );
    } catch (err) {
      const coils = [0, 1, 2, 3].map((n) => `coil${n}=${Number(this.coil(n))}`).join(' ');
      throw new Error(`${(err as Error).message}: ${coils}, siren=${this.pin(PIN.siren)}, beacon=${this.pin(PIN.beacon)}, alarms: ${this.alarmKeys().join(', ') || 'none'}`);
    }
  }

  /** Resolves once the gateway has evaluated a reading of `point` equal to `value` (evaluation follows every reading at once). */
  async waitReading(point: string, value: number, timeoutMs = 5000): Promise<void> {
    await waitFor(() => {
      const r = this.gateway.points.current(point);
      return r.quality === 'good' && r.value !== null && Math.abs(r.value - value) < 1e-6;
    }, { timeoutMs, intervalMs: 5, what: `${point} read as ${value}` });
  }

  /**
   * Wait until the gateway's copy of the kernel's holds on `output` is exactly `keys`: the copy
   * arrives after the kernel's turn, so it may trail what the wire already shows.
   */
  async waitHolds(output: string, keys: string[], timeoutMs = 3000): Promise<void> {
    const want = [...keys].sort().join();
    await waitFor(() => this.holdsOn(output).join() === want, { timeoutMs, intervalMs: 5, what: `holds on ${output} to be [${keys.join(', ')}]` });
  }

  holdsOn(output: string): string[] {
    return this.gateway.safety.engine
      .holds()
      .filter((h) => h.output === output)
      .map((h) => h.key)
      .sort();
  }

  alarmKeys(): string[] {
    return this.gateway.safety.engine
      .alarms()
      .map((a) => a.key)
      .sort();
  }
}
