// Per-reader liveness and sequence bookkeeping, shared by the serial and Modbus reader drivers.
// Pure: callers pass the times, so it has no timers of its own and tests need no clock tricks.
// A reader silent longer than `offlineAfterMs` is offline: the personnel state must then treat the
// people in its area as unknown, never as "nobody there". A configured reader that is never heard
// at all (dead from power-up) is offline too, once the limit has passed since watching started:
// waiting for a first frame that never comes would leave its area "unknown" with no alarm.
import type { ReaderChangeReason, ReaderPower, ReaderState, ReaderStateChange } from './types.js';

interface Entry {
  state: ReaderState;
  /** Last sequence number seen while online; null after a restart of the tracking. */
  lastSeq: number | null;
  /** Offline has been reported for this reader since it was last online (or since start). */
  reportedOffline: boolean;
}

export interface HeardResult {
  /** Set when this frame brought the reader online. */
  change: ReaderStateChange | null;
  /** Frames missing between the previous sequence number and this one. */
  missed: number;
  /** Same sequence number as the previous frame: a repeat, to be dropped. */
  duplicate: boolean;
}

export class ReaderLiveness {
  private readonly entries = new Map<number, Entry>();
  /** Monotonic time watching started (start(), or the first check()); null before. */
  private watchingSince: number | null = null;

  /**
   * @param offlineAfterMs silence after which a reader is offline.
   * @param seqModulus sequence numbers wrap at this value (256 for the framed protocol).
   * @param expected readers known to exist: reported offline until first heard.
   */
  constructor(
    readonly offlineAfterMs: number,
    private readonly seqModulus: number,
    expected: readonly number[] = [],
  ) {
    if (!Number.isFinite(offlineAfterMs) || offlineAfterMs <= 0) throw new TypeError(`offlineAfterMs must be a positive number of ms, got ${String(offlineAfterMs)}`);
    if (!Number.isInteger(seqModulus) || seqModulus < 2) throw new TypeError(`seqModulus must be an integer >= 2, got ${String(seqModulus)}`);
    if (!Array.isArray(expected)) throw new TypeError(`expected readers must be an array, got ${String(expected)}`);
    for (const r of expected) this.entry(r);
  }

  private entry(reader: number): Entry {
    let e = this.entries.get(reader);
    if (!e) {
      e = { state: { reader, online: false, lastHeardWall: null, lastHeardMono: null, lost: 0, power: null, canPage: null }, lastSeq: null, reportedOffline: false };
      this.entries.set(reader, e);
    }
    return e;
  }

  /** A frame (or a successful poll) from `reader`. `seq` null when the transport has none. */
  heard(reader: number, seq: number | null, wall: number, mono: number): HeardResult {
    const e = this.entry(reader);
    let missed = 0;
    let duplicate = false;
    if (seq !== null && e.lastSeq !== null && e.state.online) {
      const step = (seq - e.lastSeq + this.seqModulus) % this.seqModulus;
      if (step === 0) duplicate = true;
      else missed = step - 1;
    }
    if (seq !== null) e.lastSeq = seq;
    e.state.lost += missed;
    e.state.lastHeardWall = wall;
    e.state.lastHeardMono = mono;
    let change: ReaderStateChange | null = null;
    if (!e.state.online) {
      e.state.online = true;
      e.reportedOffline = false;
      change = { reader, online: true, reason: 'frame', wallTime: wall, monoTime: mono, lastHeardMono: mono };
    }
    return { change, missed, duplicate };
  }

  /** Records lost inside the reader (e.g. its FIFO overflowed). */
  addLost(reader: number, count: number): void {
    this.entry(reader).state.lost += count;
  }

  status(reader: number, power: ReaderPower, canPage: boolean): void {
    const s = this.entry(reader).state;
    s.power = power;
    s.canPage = canPage;
  }

  /**
   * Watching starts now (the driver started): a configured reader not heard by `mono` +
   * offlineAfterMs is reported offline ('never-heard'). Later calls keep the first start.
   */
  start(mono: number): void {
    this.watchingSince ??= mono;
  }

  /**
   * Readers silent for offlineAfterMs at `mono` go offline ('silent'), and so do configured readers
   * never heard within offlineAfterMs of the start ('never-heard'); each is reported once.
   */
  check(wall: number, mono: number): ReaderStateChange[] {
    this.watchingSince ??= mono;
    const changes: ReaderStateChange[] = [];
    for (const e of this.entries.values()) {
      if (e.state.online) {
        if (e.state.lastHeardMono !== null && mono - e.state.lastHeardMono >= this.offlineAfterMs) changes.push(this.goOffline(e, 'silent', wall, mono));
      } else if (!e.reportedOffline && e.state.lastHeardMono === null && mono - this.watchingSince >= this.offlineAfterMs) {
        changes.push(this.goOffline(e, 'never-heard', wall, mono));
      }
    }
    return changes;
  }

  /** Every online reader goes offline at once (link dropped, driver closed). */
  allOffline(reason: ReaderChangeReason, wall: number, mono: number): ReaderStateChange[] {
    const changes: ReaderStateChange[] = [];
    for (const e of this.entries.values()) if (e.state.online) changes.push(this.goOffline(e, reason, wall, mono));
    return changes;
  }

  private goOffline(e: Entry, reason: ReaderChangeReason, wall: number, mono: number): ReaderStateChange {
    e.state.online = false;
    e.reportedOffline = true;
    // After a silence the counter may have wrapped any number of times: no gap can be computed.
    e.lastSeq = null;
    return { reader: e.state.reader, online: false, reason, wallTime: wall, monoTime: mono, lastHeardMono: e.state.lastHeardMono };
  }

  get(reader: number): ReaderState | undefined {
    const e = this.entries.get(reader);
    return e ? { ...e.state } : undefined;
  }

  all(): ReaderState[] {
    return [...this.entries.values()].map((e) => ({ ...e.state })).sort((a, b) => a.reader - b.reader);
  }
}
