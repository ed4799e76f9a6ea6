// A simulated energy meter on one major load: the energy-meter profile's register image, with the
// energy register integrating the set power over (simulated) time, as a real meter's does.
import type { SlaveRequest, SlaveResponse } from '../../protocols/modbus/types.js';
import { ProfileDevice } from '../virtual-device.js';

export interface VirtualEnergyMeterOptions {
  unit: number;
  /** Wall clock (ms) the energy integrates over; default Date.now. */
  now?: () => number;
  /** Energy register at power-up, kWh. */
  energyKwh?: number;
  profilesDir?: string;
}

export class VirtualEnergyMeter extends ProfileDevice {
  private readonly now: () => number;
  private powerKw = 0;
  private energyKwh: number;
  private integratedAt: number;

  constructor(opts: VirtualEnergyMeterOptions) {
    super('energy-meter', { unit: opts?.unit, ...(opts?.profilesDir ? { profilesDir: opts.profilesDir } : {}) });
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new TypeError(`VirtualEnergyMeter: now must be a function, got ${String(opts.now)}`);
    const energy = opts.energyKwh ?? 0;
    if (!Number.isFinite(energy) || energy < 0) throw new TypeError(`VirtualEnergyMeter: energyKwh must be >= 0, got ${String(opts.energyKwh)}`);
    this.now = opts.now ?? Date.now;
    this.energyKwh = energy;
    this.integratedAt = this.now();
    this.set('energy', energy);
  }

  /** Active power drawn by the load from now on, kW. */
  setPower(kw: number): void {
    if (!Number.isFinite(kw) || kw < 0) throw new TypeError(`energy-meter@${this.unit}: power must be a finite number of kW >= 0, got ${String(kw)}`);
    this.integrate();
    this.powerKw = kw;
    this.set('power', kw);
  }

  get power(): number {
    return this.powerKw;
  }

  /** Energy counted so far, kWh (unrounded). */
  get energy(): number {
    this.integrate();
    return this.energyKwh;
  }

  /** Meter fault (lost voltage/current input): the status bit the gateway turns into sensor-fault quality. */
  setMeterFault(on: boolean): void {
    this.setStatus({ sensorFault: on });
  }

  override handle(request: SlaveRequest): SlaveResponse {
    this.integrate();
    return super.handle(request);
  }

  private integrate(): void {
    const t = this.now();
    if (t > this.integratedAt) this.energyKwh += (this.powerKw * (t - this.integratedAt)) / 3_600_000;
    this.integratedAt = t;
    this.set('energy', Math.floor(this.energyKwh * 10) / 10);
  }
}
