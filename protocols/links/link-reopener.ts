// Keeps a Link open for its owner (the Modbus master, the card-reader bus): opens it, watches for
// it dropping, and reopens it in the background with exponential backoff until the owner stops.
// The owner keeps its own protocol state; it hears about the link through two callbacks.
import { Backoff } from '../../core/backoff.js';
import type { Link } from './link.js';

export interface LinkReopenerOptions {
  /** Backoff for reopening a dropped link: starts at min, doubles up to max. */
  reopenMinMs: number;
  reopenMaxMs: number;
  /** The link came up (first time and after every reopen): reset framing state, emit 'open'. */
  onOpen: () => void;
  /** The link dropped while up (not after stop()); a reopen is scheduled right after this returns. */
  onDrop: (err: Error | undefined) => void;
  /** What open() rejects with when stop() was called while the link was opening. */
  closedWhileOpening: () => Error;
  /**
   * A cycle() finished: the link was closed on purpose and is up again (onOpen is not called for
   * it; the owner keeps its queue). Optional.
   */
  onCycled?: () => void;
}

export class LinkReopener {
  private readonly opts: LinkReopenerOptions;
  private opening: Promise<void> | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  /** No jitter: one owner per port or connection, and a predictable reopen is easier to reason about. */
  private readonly reopenDelay: Backoff;
  private up = false;
  private stoppedFlag = true;
  private everOpenedFlag = false;
  private reopenCount = 0;
  /** cycle() in progress: the next 'close' is ours, not the link dropping. */
  private cycling = false;
  private cycleCount = 0;

  constructor(
    private readonly link: Link,
    opts: LinkReopenerOptions,
  ) {
    if (!link || typeof link.open !== 'function' || typeof link.on !== 'function') throw new TypeError(`LinkReopener link must implement Link, got ${String(link)}`);
    for (const key of ['reopenMinMs', 'reopenMaxMs'] as const) {
      const v = opts[key];
      if (!Number.isFinite(v) || v <= 0) throw new TypeError(`LinkReopener ${key} must be a positive number of ms, got ${String(v)}`);
    }
    if (opts.reopenMaxMs < opts.reopenMinMs) throw new TypeError(`LinkReopener reopenMaxMs (${opts.reopenMaxMs}) must be >= reopenMinMs (${opts.reopenMinMs})`);
    for (const key of ['onOpen', 'onDrop', 'closedWhileOpening'] as const) {
      if (typeof opts[key] !== 'function') throw new TypeError(`LinkReopener ${key} must be a function, got ${String(opts[key])}`);
    }
    this.opts = opts;
    this.reopenDelay = new Backoff({ initialMs: opts.reopenMinMs, maxMs: opts.reopenMaxMs, jitter: 'none' });
    link.on('close', this.onLinkClose);
  }

  /** The link is up (opened and not dropped or stopped since). */
  get isUp(): boolean {
    return this.up;
  }

  /** stop() was called, or open() never was. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  get everOpened(): boolean {
    return this.everOpenedFlag;
  }

  /** Successful opens after the first one. */
  get reopens(): number {
    return this.reopenCount;
  }

  /** Deliberate close-and-reopen cycles that brought the link back at once. */
  get cycles(): number {
    return this.cycleCount;
  }

  /** A cycle() is under way (the link is down on purpose for a moment). */
  get isCycling(): boolean {
    return this.cycling;
  }

  /**
   * Closes the link and opens it again at once, for an owner whose byte stream is out of step
   * (a Modbus TCP peer that sent a broken frame): a fresh connection is the only clean resync on a
   * stream without frame gaps. isUp is false meanwhile. When the reopen works, onCycled is called
   * (not onOpen, not onDrop): the owner keeps its pending work. When it fails, the link is treated
   * as dropped: onDrop, then the usual backoff.
   */
  cycle(): void {
    if (!this.up || this.cycling || this.stoppedFlag) return;
    this.cycling = true;
    this.up = false;
    this.link.close().then(
      () => this.reopenAfterCycle(),
      () => this.reopenAfterCycle(),
    );
  }

  private reopenAfterCycle(): void {
    if (this.stoppedFlag) {
      this.cycling = false;
      return;
    }
    this.link.open().then(
      async () => {
        this.cycling = false;
        if (this.stoppedFlag) {
          await this.link.close();
          return;
        }
        this.cycleCount++;
        this.up = true;
        this.opts.onCycled?.();
      },
      (err: unknown) => {
        this.cycling = false;
        if (this.stoppedFlag) return;
        this.opts.onDrop(err instanceof Error ? err : undefined);
        this.scheduleReopen();
      },
    );
  }

  /**
   * Opens the link. If that fails the promise rejects with the link's error and reopening goes on
   * in the background with backoff, calling onOpen once the link is up.
   */
  async open(): Promise<void> {
    this.stoppedFlag = false;
    if (this.up) return;
    try {
      await this.tryOpen();
    } catch (err) {
      this.scheduleReopen();
      throw err;
    }
  }

  /** Stops reopening and marks the link down (the owner releases it, after settled()). */
  stop(): void {
    this.stoppedFlag = true;
    this.clearReopenTimer();
    this.up = false;
  }

  /** Resolves once an open in progress has finished (either way). */
  async settled(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
  }

  private tryOpen(): Promise<void> {
    if (this.opening) return this.opening;
    this.opening = this.link.open().then(
      async () => {
        this.opening = null;
        if (this.stoppedFlag) {
          await this.link.close();
          throw this.opts.closedWhileOpening();
        }
        this.clearReopenTimer();
        if (this.everOpenedFlag) this.reopenCount++;
        this.everOpenedFlag = true;
        this.up = true;
        this.reopenDelay.reset();
        this.opts.onOpen();
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  private scheduleReopen(): void {
    if (this.stoppedFlag || this.reopenTimer !== null || this.up) return;
    this.reopenTimer = setTimeout(this.onReopenTimer, this.reopenDelay.next());
  }

  private readonly onReopenTimer = (): void => {
    this.reopenTimer = null;
    this.tryOpen().catch(() => this.scheduleReopen());
  };

  private readonly onLinkClose = (err?: Error): void => {
    // Our own close in cycle(): the owner already knows.
    if (this.cycling || !this.up) return;
    this.up = false;
    this.opts.onDrop(err);
    this.scheduleReopen();
  };

  private clearReopenTimer(): void {
    if (this.reopenTimer !== null) {
      clearTimeout(this.reopenTimer);
      this.reopenTimer = null;
    }
  }
}
