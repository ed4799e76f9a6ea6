// Time sources in one place so tests can drive time and freshness never depends on the wall clock
// (a clock step from NTP or a technician must not make every reading fresh or stale at once).

export interface Clock {
  /** Wall-clock ms since the Unix epoch: what goes into records. */
  wall(): number;
  /** Monotonic ms: what measures ages and intervals. */
  mono(): number;
}

export const systemClock: Clock = {
  wall: () => Date.now(),
  // CLOCK_MONOTONIC, the same in every thread of the process: the safety kernel's worker thread
  // stamps readings that the main thread ages (performance.now() has a per-thread origin).
  mono: () => Number(process.hrtime.bigint()) / 1e6,
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
