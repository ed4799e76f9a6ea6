// Polls the seal cameras on their intervals and feeds the seal engine: samples, read failures, and a
// tick for the time-based rules. Each camera has its own timer chain, so a dead camera costs only
// its own response timeouts; cameras on one bus still take turns on its master.
import type { DeviceConfig } from '../../board-configs/schema.js';
import type { Profile } from '../../board-configs/profile-schema.js';
import type { ModbusPort } from '../../drivers/modbus-device.js';
import { SealCameraReader } from '../../drivers/seal-camera.js';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Logger } from '../log.js';
import { sealsOf } from './config-checks.js';
import type { SealEngine } from './engine.js';

export interface SealCameraSource {
  /** Device id (as in the seals config). */
  id: string;
  reader: SealCameraReader;
  port: ModbusPort;
  pollMs: number;
}

export interface SealMonitorOptions {
  engine: SealEngine;
  cameras: readonly SealCameraSource[];
  clock?: Clock;
  /** How often the engine's time-based rules run. */
  tickMs?: number;
  logger?: Logger;
}

export const SEAL_MONITOR_DEFAULTS = {
  tickMs: 1_000,
} as const;

/** Camera sources for every seal camera of a loaded config, reading through the master of its bus. */
export function sealCameraSources(
  loaded: { config: object; devicesById: ReadonlyMap<string, DeviceConfig>; profiles: ReadonlyMap<string, Profile> },
  portOf: (busId: string) => ModbusPort,
): SealCameraSource[] {
  const seals = sealsOf(loaded.config);
  if (!seals) return [];
  return seals.shaftMouths.flatMap((m) =>
    m.cameras.map((c) => {
      const device = loaded.devicesById.get(c.device);
      if (!device) throw new RangeError(`seal camera "${c.device}" is not a configured device`);
      const profile = loaded.profiles.get(device.profile);
      if (!profile) throw new RangeError(`seal camera "${c.device}": profile "${device.profile}" was not loaded`);
      return { id: c.device, reader: new SealCameraReader(profile, device.unit), port: portOf(device.bus), pollMs: device.pollMs };
    }),
  );
}

export class SealMonitor {
  private readonly engine: SealEngine;
  private readonly cameras: readonly SealCameraSource[];
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly log: Logger | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private running = false;

  constructor(opts: SealMonitorOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SealMonitor options must be an object, got ${String(opts)}`);
    if (!opts.engine || typeof opts.engine.observe !== 'function') throw new TypeError(`SealMonitor engine must be a SealEngine, got ${String(opts.engine)}`);
    if (!Array.isArray(opts.cameras)) throw new TypeError(`SealMonitor cameras must be an array, got ${String(opts.cameras)}`);
    const known = new Set(opts.engine.cameraIds);
    const seen = new Set<string>();
    for (const c of opts.cameras) {
      if (!c || !known.has(c.id)) throw new TypeError(`SealMonitor: camera ${JSON.stringify(c?.id)} is not a seal camera of the engine (${[...known].join(', ')})`);
      if (seen.has(c.id)) throw new TypeError(`SealMonitor: camera "${c.id}" is listed twice`);
      seen.add(c.id);
      if (!(c.reader instanceof SealCameraReader)) throw new TypeError(`SealMonitor: camera "${c.id}" needs a SealCameraReader`);
      if (!c.port || typeof c.port.read !== 'function') throw new TypeError(`SealMonitor: camera "${c.id}" needs a port with read()`);
      if (!Number.isFinite(c.pollMs) || c.pollMs < 100) throw new TypeError(`SealMonitor: camera "${c.id}" pollMs must be >= 100, got ${String(c.pollMs)}`);
    }
    const tickMs = opts.tickMs ?? SEAL_MONITOR_DEFAULTS.tickMs;
    if (!Number.isFinite(tickMs) || tickMs < 50) throw new TypeError(`SealMonitor tickMs must be >= 50, got ${String(opts.tickMs)}`);
    this.engine = opts.engine;
    this.cameras = [...opts.cameras];
    this.clock = opts.clock ?? systemClock;
    this.tickMs = tickMs;
    this.log = opts.logger?.child({ module: 'seal-monitor' });
  }

  /** Read one camera once and hand the result to the engine. Never throws for a bus error. */
  async pollCamera(id: string): Promise<void> {
    const cam = this.cameras.find((c) => c.id === id);
    if (!cam) throw new RangeError(`SealMonitor: no camera "${id}"`);
    let sample;
    try {
      sample = await cam.reader.read(cam.port, this.clock);
    } catch (err) {
      this.log?.debug({ camera: id, err: err instanceof Error ? err.message : String(err) }, 'seal camera read failed');
      this.engine.readFailed(id, err);
      return;
    }
    this.engine.observe(id, sample);
  }

  /** Read every camera once, in order, then run the time-based rules. */
  async pollOnce(): Promise<void> {
    for (const cam of this.cameras) await this.pollCamera(cam.id);
    this.engine.tick();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const cam of this.cameras) this.schedule(() => this.pollCamera(cam.id), 0, cam.pollMs);
    this.schedule(async () => this.engine.tick(), this.tickMs, this.tickMs);
  }

  /** Stop polling; waits for reads in flight (each bounded by its bus timeout). */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Run `job` after `delayMs`, then every `everyMs` after each run finishes (no overlap). */
  private schedule(job: () => Promise<void>, delayMs: number, everyMs: number): void {
    if (!this.running) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = job()
        .catch((err: unknown) => this.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'seal monitor job failed'))
        .finally(() => {
          this.inflight.delete(run);
          this.schedule(job, everyMs, everyMs);
        });
      this.inflight.add(run);
    }, delayMs);
    this.timers.add(timer);
  }
}
