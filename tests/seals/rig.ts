// A small real shaft-mouth installation for seal tests: simulated seal cameras and an energy meter
// behind a real Modbus TCP server on 127.0.0.1, read by the real master, fed to the real engine.
// Time is a ManualClock (sustain times and windows are minutes); the wire is real.
import type { SealConfigInput } from '../../board-configs/seal-schema.js';
import type { DeviceConfig, PointConfig } from '../../board-configs/schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import { ModbusDevice } from '../../drivers/modbus-device.js';
import { SealCameraReader } from '../../drivers/seal-camera.js';
import { ManualClock } from '../../core/clock.js';
import { SealEngine, type SealEngineOptions } from '../../edge/seals/engine.js';
import type { SealEvent, SealEventType, SealRuleId } from '../../edge/seals/events.js';
import { SealMonitor } from '../../edge/seals/monitor.js';
import type { PersonnelView } from '../../edge/seals/personnel-view.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { ModbusMaster } from '../../protocols/modbus/master.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { VirtualEnergyMeter } from '../../simulator/seals/energy-meter.js';
import { VirtualSealCamera } from '../../simulator/seals/seal-camera.js';

/** Positioning as the seal engine sees it, set by hand. */
export class FakePersonnel implements PersonnelView {
  underground = 0;
  online = true;
  lastSighting: number | null = null;
  private readonly checkIns: { station: string; wall: number }[] = [];

  checkIn(station: string, wall: number, n = 1): void {
    for (let i = 0; i < n; i++) this.checkIns.push({ station, wall });
    this.lastSighting = wall;
  }
  undergroundCount(): number {
    return this.underground;
  }
  checkInsAt(station: string, sinceWallMs: number): number {
    return this.checkIns.filter((c) => c.station === station && c.wall >= sinceWallMs).length;
  }
  lastSightingWallMs(): number | null {
    return this.lastSighting;
  }
  readersOnline(): boolean {
    return this.online;
  }
  /** Named readers that are not online, as the personnel capability reports them. */
  offline: string[] = [];
  offlineReaders(): string[] {
    return this.offline;
  }
}

/** 2026-01-05 10:00 mine time (UTC+8): inside the 08:00 shift. */
export const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

export const MAIN_CAM = 'seal-main-1';
export const AUX_CAM = 'seal-aux-1';

export function sealConfig(overrides: Partial<SealConfigInput> = {}): SealConfigInput {
  return {
    shaftMouths: [
      { id: 'main', name: '主井口', personnelStation: 'ST-MAIN', cameras: [{ device: MAIN_CAM, position: '主井口 井口房' }] },
      { id: 'aux', name: '副井口', cameras: [{ device: AUX_CAM, position: '副井口 东侧', inMeans: 'out-of-mine' }] },
    ],
    loads: [
      { id: 'hoist', name: '主提升机', shaftMouth: 'main', powerPoint: 'F001A20', energyPoint: 'F001A21', idleKw: 15, production: true, sustainMs: 10_000 },
      { id: 'fan', name: '主要通风机', shaftMouth: 'main', powerPoint: 'F001A22', idleKw: 5, production: false },
    ],
    checks: { cardWindowMs: 60_000, cardGraceMs: 10_000, headcountTolerance: 1, headcountSustainMs: 30_000, positioningSilentMs: 60_000, stoppedCrossingClearMs: 120_000 },
    ...overrides,
  };
}

const meterDevice = (id: string, unit: number): DeviceConfig => ({ id, bus: 'seal-bus', unit, profile: 'energy-meter', pollMs: 1000 });
const point = (code: string, device: string, channel: 'power' | 'energy'): PointConfig => ({
  code,
  sensorType: '1004',
  device,
  channel,
  unit: channel === 'power' ? 'kW' : 'kWh',
  range: { low: 0, high: channel === 'power' ? 5000 : 1e9 },
  location: device,
});

export interface SealRig {
  clock: ManualClock;
  personnel: FakePersonnel;
  mainCam: VirtualSealCamera;
  auxCam: VirtualSealCamera;
  hoistMeter: VirtualEnergyMeter;
  fanMeter: VirtualEnergyMeter;
  server: ModbusSlaveServer;
  master: ModbusMaster;
  engine: SealEngine;
  monitor: SealMonitor;
  events: SealEvent[];
  /** Advance simulated time, read every camera and meter over Modbus once, run the rules. */
  step(ms?: number): Promise<void>;
  /** Events of a type (and rule) raised since the rig started, or since `mark()`. */
  of(type: SealEventType, rule?: SealRuleId): SealEvent[];
  mark(): void;
  /** A new engine over the same cameras (after a simulated gateway restart). */
  restartEngine(opts?: Partial<SealEngineOptions>): Promise<void>;
  close(): Promise<void>;
}

export async function startSealRig(opts: { config?: SealConfigInput; engine?: Partial<SealEngineOptions>; responseTimeoutMs?: number } = {}): Promise<SealRig> {
  const clock = new ManualClock(T0, 0);
  const now = () => clock.wall();
  const mainCam = new VirtualSealCamera({ unit: 1, now });
  const auxCam = new VirtualSealCamera({ unit: 2, now });
  const hoistMeter = new VirtualEnergyMeter({ unit: 3, now, energyKwh: 12_000 });
  const fanMeter = new VirtualEnergyMeter({ unit: 4, now });
  const server = new ModbusSlaveServer({ type: 'tcp', host: '127.0.0.1', port: 0 }, [mainCam, auxCam, hoistMeter, fanMeter]);
  const { port } = await server.start();
  const master = new ModbusMaster({ link: new TcpLink({ host: '127.0.0.1', port: port!, connectTimeoutMs: 1000 }), framing: 'tcp', responseTimeoutMs: opts.responseTimeoutMs ?? 200 });
  await master.open();

  const personnel = new FakePersonnel();
  const config = opts.config ?? sealConfig();
  const events: SealEvent[] = [];
  let markAt = 0;
  const meterProfile = loadProfile('energy-meter');
  const points = [point('F001A20', 'hoist-meter', 'power'), point('F001A21', 'hoist-meter', 'energy'), point('F001A22', 'fan-meter', 'power')];
  const meters = [new ModbusDevice(meterDevice('hoist-meter', 3), meterProfile, points), new ModbusDevice(meterDevice('fan-meter', 4), meterProfile, points)];
  const sealProfile = loadProfile('seal-camera');

  let engine!: SealEngine;
  let monitor!: SealMonitor;
  const build = (extra: Partial<SealEngineOptions> = {}): void => {
    engine = new SealEngine({ config: config as SealEngineOptions['config'], personnel, clock, ...opts.engine, ...extra, onEvent: (e) => events.push(e) });
    monitor = new SealMonitor({
      engine,
      clock,
      cameras: [
        { id: MAIN_CAM, reader: new SealCameraReader(sealProfile, 1), port: master, pollMs: 1000 },
        { id: AUX_CAM, reader: new SealCameraReader(sealProfile, 2), port: master, pollMs: 1000 },
      ],
    });
  };
  try {
    build();
  } catch (err) {
    // A refused config must not leave the server and the connection behind.
    await master.close();
    await server.stop();
    throw err;
  }

  const rig: SealRig = {
    clock,
    personnel,
    mainCam,
    auxCam,
    hoistMeter,
    fanMeter,
    server,
    master,
    get engine() {
      return engine;
    },
    get monitor() {
      return monitor;
    },
    events,
    async step(ms = 1000) {
      clock.advance(ms);
      for (const m of meters) {
        const readings = await m.poll(master, clock).catch(() => m.commFault(clock.wall(), clock.mono()));
        for (const r of readings) engine.onReading(r);
      }
      await monitor.pollOnce();
    },
    of(type, rule) {
      return events.slice(markAt).filter((e) => e.type === type && (rule === undefined || e.rule === rule));
    },
    mark() {
      markAt = events.length;
    },
    async restartEngine(extra = {}) {
      await engine.close();
      build(extra);
    },
    async close() {
      await monitor.stop();
      await engine.close();
      await master.close();
      await server.stop();
    },
  };
  return rig;
}
