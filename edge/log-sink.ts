// The log file's writer. It replaces pino.destination (sonic-boom) because of what sonic-boom does
// on a full disk (measured on issue 11): an async write failing with ENOSPC is an 'error' event,
// which with pino's listener became an uncaught exception; `log.fatal` and pino's on-exit hook call
// flushSync, whose loop sleeps and retries every error that is not EAGAIN, so the process neither ran
// nor exited; and end() after a failed write never emits 'close'. Here instead:
// - write() never throws and never blocks: lines wait in a bounded buffer; past it they are dropped
//   and counted, and a "log lines dropped" line is written once the file takes writes again;
// - any write error (ENOSPC, EIO, EPIPE …) is counted, the buffered lines wait, and the write is
//   retried later with a doubling delay (bounded); other than a full disk, the file is reopened
//   first (a pipe whose reader went away, a card that came back);
// - there is no flushSync, so pino's fatal() cannot spin, and nothing is registered on exit;
//   end() flushes asynchronously with a deadline, then closes whatever is left.
import { close, constants, mkdir, open, write } from 'node:fs';
import { dirname } from 'node:path';
import { Backoff } from '../core/backoff.js';

export const LOG_SINK_DEFAULTS = {
  /** Lines kept while the file does not take writes; more are dropped (counted). */
  maxPendingBytes: 1024 * 1024,
  /** At most this much per write call. */
  chunkBytes: 64 * 1024,
  retryMinMs: 1_000,
  retryMaxMs: 30_000,
  /** end(): how long to try to write what is buffered before closing anyway. */
  endTimeoutMs: 2_000,
} as const;

export type LogSinkOptions = { -readonly [K in keyof typeof LOG_SINK_DEFAULTS]?: number };

export interface LogSinkStats {
  /** Lines handed to the file system. */
  written: number;
  /** Lines lost: the buffer was full (disk full or stalled), or still buffered when end() gave up. */
  dropped: number;
  /** Failed opens and writes. */
  failures: number;
  /** Code of the newest failure (ENOSPC, EIO …), null once a write succeeds again. */
  lastError: string | null;
  pendingBytes: number;
}

// A full disk (or quota) is the disk's state, not the descriptor's: keep the descriptor, just wait.
const KEEP_FD = new Set(['ENOSPC', 'EDQUOT', 'EAGAIN', 'EBUSY', 'EINTR']);

export class LogSink {
  private readonly o: Required<LogSinkOptions>;
  private fd: number | undefined;
  private opening = false;
  /** Whole lines not yet handed to a write call. */
  private lines: string[] = [];
  private linesBytes = 0;
  /** The chunk being written (what a partial write left stays here) and how many lines it holds. */
  private chunk: Buffer | undefined;
  private chunkLines = 0;
  private writing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** No jitter: the log file is ours alone, nobody to stampede. */
  private readonly retry: Backoff;
  private droppedUnreported = 0;
  private ended = false;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly counters = { written: 0, dropped: 0, failures: 0, lastError: null as string | null };

  constructor(
    readonly file: string,
    opts: LogSinkOptions = {},
  ) {
    if (typeof file !== 'string' || file === '') throw new TypeError(`LogSink: file must be a path, got ${JSON.stringify(file)}`);
    this.o = { ...LOG_SINK_DEFAULTS, ...opts };
    this.retry = new Backoff({ initialMs: this.o.retryMinMs, maxMs: this.o.retryMaxMs, jitter: 'none' });
    this.openFile();
  }

  /** pino's stream interface. Never throws, never waits. */
  write(line: string): boolean {
    if (this.ended) {
      // After close (a late line from a stopping part): lost, and counted as such.
      this.counters.dropped++;
      return false;
    }
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes() + bytes > this.o.maxPendingBytes) {
      this.counters.dropped++;
      this.droppedUnreported++;
      return false;
    }
    this.lines.push(line);
    this.linesBytes += bytes;
    this.pump();
    return true;
  }

  stats(): LogSinkStats {
    return { ...this.counters, pendingBytes: this.pendingBytes() };
  }

  /** pino's logger.flush(cb): cb once what is buffered is written, or after endTimeoutMs. */
  flush(cb?: (err?: Error) => void): void {
    void this.settle().then(() => cb?.());
  }

  /** Resolves true once everything buffered so far is written, false after timeoutMs (never rejects). */
  settle(timeoutMs: number = this.o.endTimeoutMs): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      // A waiter that gave up leaves the list (a disk full for hours must not collect them).
      const timer = setTimeout(() => {
        const i = this.idleWaiters.indexOf(waiter);
        if (i >= 0) this.idleWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.idleWaiters.push(waiter);
    });
  }

  /** Write what is buffered (bounded by timeoutMs), then close the file. Lines left over are counted as dropped. */
  async end(timeoutMs: number = this.o.endTimeoutMs): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.retryTimer && this.counters.lastError !== null) {
      // Waiting out a failure: one more try now, not after the backoff.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.pump();
    }
    await this.settle(timeoutMs);
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.counters.dropped += this.lines.length + this.chunkLines;
    this.lines = [];
    this.linesBytes = 0;
    this.chunk = undefined;
    this.chunkLines = 0;
    // A write still hanging in the thread pool (stalled disk) keeps the descriptor; it is closed when that returns.
    if (this.fd !== undefined && !this.writing) this.closeFd();
  }

  private pendingBytes(): number {
    return this.linesBytes + (this.chunk?.length ?? 0);
  }

  private idle(): boolean {
    return this.lines.length === 0 && this.chunk === undefined;
  }

  private openFile(): void {
    if (this.opening || this.closed) return;
    this.opening = true;
    mkdir(dirname(this.file), { recursive: true }, (mkdirErr) => {
      if (mkdirErr) return this.opened(mkdirErr, undefined);
      // O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of holding a thread-pool
      // thread forever; regular files ignore it.
      open(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o644, (err, fd) => this.opened(err, fd));
    });
  }

  private opened(err: NodeJS.ErrnoException | null, fd: number | undefined): void {
    this.opening = false;
    if (err || fd === undefined) return this.failed(err ?? new Error('open gave no descriptor'), true);
    if (this.closed) return close(fd, () => {});
    this.fd = fd;
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.opening || this.retryTimer || this.closed) return;
    if (this.fd === undefined) return this.openFile();
    if (!this.chunk) {
      if (this.droppedUnreported > 0) {
        this.lines.unshift(droppedLine(this.droppedUnreported));
        this.linesBytes += Buffer.byteLength(this.lines[0]!);
        this.droppedUnreported = 0;
      }
      if (this.lines.length === 0) return this.wake();
      let bytes = 0;
      let n = 0;
      while (n < this.lines.length && (n === 0 || bytes + Buffer.byteLength(this.lines[n]!) <= this.o.chunkBytes)) bytes += Buffer.byteLength(this.lines[n++]!);
      this.chunk = Buffer.from(this.lines.splice(0, n).join(''));
      this.chunkLines = n;
      this.linesBytes -= bytes;
    }
    this.writing = true;
    const fd = this.fd;
    write(fd, this.chunk, 0, this.chunk.length, null, (err, n) => {
      this.writing = false;
      if (this.closed) {
        if (this.fd === fd) this.closeFd();
        return;
      }
      if (err) return this.failed(err, !KEEP_FD.has(err.code ?? ''));
      this.counters.lastError = null;
      this.retry.reset();
      if (this.chunk && n < this.chunk.length) this.chunk = this.chunk.subarray(n);
      else {
        this.counters.written += this.chunkLines;
        this.chunk = undefined;
        this.chunkLines = 0;
      }
      this.pump();
    });
  }

  private failed(err: NodeJS.ErrnoException, reopen: boolean): void {
    this.counters.failures++;
    this.counters.lastError = err.code ?? err.message;
    if (reopen && this.fd !== undefined) this.closeFd();
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.retry.next());
    this.retryTimer.unref();
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) close(fd, () => {});
  }

  private wake(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** A pino-shaped line (level warn), so readers of the JSON log see the gap. */
function droppedLine(count: number): string {
  return `${JSON.stringify({ level: 40, time: new Date().toISOString(), name: 'minegate', module: 'log', dropped: count, msg: `${count} log line(s) dropped: the log file did not take writes` })}\n`;
}
