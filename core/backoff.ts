// The one exponential backoff of minegate: a retry waits initialMs, then twice that, and so on up
// to maxMs, and starts over after a success (reset). Every retry loop uses it: the uplink's
// reconnects, a dropped serial/TCP link, a Firmata board, the log file, the journals and the
// reading store on a failing disk, a device's failed polls.
//
// Jitter: `equal` (the default) keeps half of each delay fixed and draws the other half at random,
// so a mine full of substations that lost the same broker does not reconnect in lock-step when it
// comes back. `none` gives the plain ceiling: right for a local resource (a disk, a serial port)
// that no other client competes for, where a predictable delay is easier to reason about.

export type BackoffJitter = 'equal' | 'none';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Default `equal`; see the file comment. */
  jitter?: BackoffJitter;
  /** Returns [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/** Doubling stops counting here: initialMs · 2^30 is already beyond any sensible maxMs. */
const MAX_DOUBLINGS = 30;

/**
 * The delay before retry number `attempt` (0 = the first retry): initialMs · 2^attempt, never above
 * maxMs. Stateless, for callers that already count their failures (the poller, the reading store).
 */
export function exponentialDelay(initialMs: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 0), MAX_DOUBLINGS));
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;
  private readonly jitter: BackoffJitter;

  constructor(private readonly opts: BackoffOptions) {
    if (!(Number.isFinite(opts.initialMs) && opts.initialMs > 0)) throw new TypeError(`Backoff: initialMs must be a positive number, got ${String(opts.initialMs)}`);
    if (!(Number.isFinite(opts.maxMs) && opts.maxMs >= opts.initialMs)) throw new TypeError(`Backoff: maxMs must be ≥ initialMs, got ${String(opts.maxMs)}`);
    if (opts.jitter !== undefined && opts.jitter !== 'equal' && opts.jitter !== 'none') throw new TypeError(`Backoff: jitter must be 'equal' or 'none', got ${String(opts.jitter)}`);
    this.random = opts.random ?? Math.random;
    this.jitter = opts.jitter ?? 'equal';
  }

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = exponentialDelay(this.opts.initialMs, this.opts.maxMs, this.attempt);
    this.attempt++;
    if (this.jitter === 'none') return ceiling;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** After a success: the next failure waits initialMs again. */
  reset(): void {
    this.attempt = 0;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
