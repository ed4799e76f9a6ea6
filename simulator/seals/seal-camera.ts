// A simulated electronic seal camera (or AI edge box): the seal-camera profile's register image plus
// the behaviour of the real thing — cumulative uint32 counters that wrap, a reboot that zeroes them
// and bumps the boot counter, an uptime that runs, tamper bits. Tests and scenarios drive it with
// personIn()/reboot()/setTamper(); the gateway reads it over real Modbus.
import type { SlaveRequest, SlaveResponse } from '../../protocols/modbus/types.js';
import { ProfileDevice } from '../virtual-device.js';

export type SimCounter = 'people-in' | 'people-out' | 'vehicles-in' | 'vehicles-out';
export type SimTamper = { videoLost?: boolean; occluded?: boolean; displaced?: boolean; blurred?: boolean };

export interface SealCameraPowerState {
  counters: Record<SimCounter, number>;
  bootCount: number;
  /** Wall time (ms) of the last power-up: the uptime register runs from it. */
  bootedAtWall: number;
}

export interface VirtualSealCameraOptions {
  unit: number;
  /** Wall clock (ms) for uptime and last-event time; default Date.now. */
  now?: () => number;
  /** Boot counter at power-up (default 1). */
  bootCount?: number;
  profilesDir?: string;
}

const UINT32 = 0x1_0000_0000;
const TAMPER_CHANNELS = { videoLost: 'video-lost', occluded: 'occluded', displaced: 'displaced', blurred: 'blurred' } as const;

export class VirtualSealCamera extends ProfileDevice {
  private readonly now: () => number;
  private bootedAt: number;
  /** Crossings that really happened, by counter, since construction (the test oracle; never wraps or resets). */
  private readonly truth: Record<SimCounter, number> = { 'people-in': 0, 'people-out': 0, 'vehicles-in': 0, 'vehicles-out': 0 };

  constructor(opts: VirtualSealCameraOptions) {
    super('seal-camera', { unit: opts?.unit, ...(opts?.profilesDir ? { profilesDir: opts.profilesDir } : {}) });
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new TypeError(`VirtualSealCamera: now must be a function, got ${String(opts.now)}`);
    const boot = opts.bootCount ?? 1;
    if (!Number.isInteger(boot) || boot < 0 || boot > 0xffff) throw new TypeError(`VirtualSealCamera: bootCount must be an integer 0..65535, got ${String(opts.bootCount)}`);
    this.now = opts.now ?? Date.now;
    this.bootedAt = this.now();
    this.set('boot-count', boot);
  }

  personIn(n = 1): void {
    this.count('people-in', n);
  }
  personOut(n = 1): void {
    this.count('people-out', n);
  }
  vehicleIn(n = 1): void {
    this.count('vehicles-in', n);
  }
  vehicleOut(n = 1): void {
    this.count('vehicles-out', n);
  }

  /** Put a counter at a raw value, e.g. just below 2^32 to exercise the wrap. Not a crossing. */
  setCounter(counter: SimCounter, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= UINT32) throw new TypeError(`${this.who}: ${counter} must be a uint32, got ${String(value)}`);
    this.set(counter, value);
  }

  counter(counter: SimCounter): number {
    return this.get(counter) as number;
  }

  /** Real crossings since construction, whatever the registers show. */
  crossed(counter: SimCounter): number {
    return this.truth[counter];
  }

  /** Power-cycle: counters restart at 0, the boot counter goes up, uptime restarts. */
  reboot(): void {
    for (const c of Object.keys(this.truth) as SimCounter[]) this.set(c, 0);
    this.set('boot-count', ((this.get('boot-count') as number) + 1) % 0x10000);
    this.set('last-event-time', 0);
    this.bootedAt = this.now();
    this.set('uptime', 0);
  }

  /** What a resumed simulator needs to carry this camera across its own restart (SimWorld). */
  powerState(): SealCameraPowerState {
    return {
      counters: { 'people-in': this.counter('people-in'), 'people-out': this.counter('people-out'), 'vehicles-in': this.counter('vehicles-in'), 'vehicles-out': this.counter('vehicles-out') },
      bootCount: this.get('boot-count') as number,
      bootedAtWall: this.bootedAt,
    };
  }

  /**
   * The camera kept running while the simulator was down (a real one does not reboot when the
   * gateway restarts): same counters, boot count and uptime, so the gateway sees no reboot.
   */
  resumePowerState(state: SealCameraPowerState): void {
    for (const [c, v] of Object.entries(state.counters) as [SimCounter, number][]) this.setCounter(c, v);
    if (!Number.isInteger(state.bootCount) || state.bootCount < 0 || state.bootCount > 0xffff) throw new TypeError(`${this.who}: bootCount must be an integer 0..65535, got ${String(state.bootCount)}`);
    this.set('boot-count', state.bootCount);
    if (!Number.isFinite(state.bootedAtWall) || state.bootedAtWall > this.now()) throw new TypeError(`${this.who}: bootedAtWall must be a past wall time, got ${String(state.bootedAtWall)}`);
    this.bootedAt = state.bootedAtWall;
  }

  setTamper(flags: SimTamper): void {
    for (const [key, channel] of Object.entries(TAMPER_CHANNELS) as [keyof SimTamper, string][]) {
      const v = flags[key];
      if (v !== undefined) this.set(channel, v);
    }
  }

  override handle(request: SlaveRequest): SlaveResponse {
    // Uptime runs whether or not anyone reads it; refreshing it on each request is indistinguishable.
    this.set('uptime', Math.min(UINT32 - 1, Math.max(0, Math.floor((this.now() - this.bootedAt) / 1000))));
    return super.handle(request);
  }

  private count(counter: SimCounter, n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`${this.who}: crossing count must be an integer >= 0, got ${String(n)}`);
    this.truth[counter] += n;
    this.set(counter, ((this.get(counter) as number) + n) % UINT32);
    if (n > 0) this.set('last-event-time', Math.floor(this.now() / 1000));
  }

  private get who(): string {
    return `seal-camera@${this.unit}`;
  }
}
