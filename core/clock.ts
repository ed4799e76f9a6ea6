// Time sources in one place so tests can drive time and freshness never depends on the wall clock
// (a clock step from NTP or a technician must not make every reading fresh or stale at once).
// The bottom layer (core/): everything may use it, it uses nothing of ours.

export interface Clock {
  /** Wall-clock ms since the Unix epoch: what goes into records. */
  wall(): number;
  /** Monotonic ms: what measures ages and intervals. */
  mono(): number;
}

/**
 * Monotonic ms from CLOCK_MONOTONIC: one time base for every process on the box. The safety kernel
 * (its own process) stamps the readings that the gateway process ages; performance.now() counts
 * from each process's start and would be off by the difference.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const systemClock: Clock = {
  wall: () => Date.now(),
  mono: monotonicMs,
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(
    private wallMs = Date.UTC(2026, 0, 1),
    private monoMs = 0,
  ) {}
  wall(): number {
    return this.wallMs;
  }
  mono(): number {
    return this.monoMs;
  }
  advance(ms: number): void {
    this.wallMs += ms;
    this.monoMs += ms;
  }
}
