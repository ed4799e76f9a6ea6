// Bandwidth cap for the uplink: a token bucket in bytes. A mine's uplink is often a shared, slow
// link (a few hundred kbit/s over a fibre ring or a leased line); the backlog drain after an
// outage must not starve everything else on it.
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param bytesPerSecond sustained rate
   * @param burstBytes bucket size; a single item larger than this is let through once the bucket is full
   */
  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) throw new TypeError(`TokenBucket: bytesPerSecond must be a positive number, got ${String(bytesPerSecond)}`);
    if (!(Number.isFinite(burstBytes) && burstBytes > 0)) throw new TypeError(`TokenBucket: burstBytes must be a positive number, got ${String(burstBytes)}`);
    this.tokens = burstBytes;
    this.last = now();
  }

  /**
   * Takes `bytes` if available and returns 0; otherwise takes nothing and returns the ms to wait
   * before asking again.
   */
  take(bytes: number): number {
    this.refill();
    const need = Math.min(bytes, this.burstBytes);
    if (this.tokens >= need) {
      // Oversized items may drive the bucket negative: the debt is paid back before the next send.
      this.tokens -= bytes;
      return 0;
    }
    return Math.ceil(((need - this.tokens) / this.bytesPerSecond) * 1000);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((t - this.last) / 1000) * this.bytesPerSecond);
    this.last = t;
  }
}
