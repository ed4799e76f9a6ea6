// Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a mine full of
// substations that lost the same broker does not reconnect in lock-step when it comes back.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Returns [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    if (!(Number.isFinite(opts.initialMs) && opts.initialMs > 0)) throw new TypeError(`Backoff: initialMs must be a positive number, got ${String(opts.initialMs)}`);
    if (!(Number.isFinite(opts.maxMs) && opts.maxMs >= opts.initialMs)) throw new TypeError(`Backoff: maxMs must be ≥ initialMs, got ${String(opts.maxMs)}`);
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
