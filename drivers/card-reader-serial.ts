// RS-485 personnel card-reader bus (读卡分站 on one line) speaking minegate's framed reader protocol
// (protocols/card-reader/README.md) over a Link. Turns report frames into CardSightings, keeps each
// reader's liveness (silent → offline → its area is unknown), pages cards and waits for the ack, and
// reopens a dropped link in the background like the Modbus master does.
import { EventEmitter } from 'node:events';
import type { Link } from '../protocols/links/link.js';
import { LinkReopener } from '../protocols/links/link-reopener.js';
import { CardReaderError } from '../protocols/card-reader/errors.js';
import { CardFrameParser, encodeCardFrame, MAX_READER, MIN_READER, type CardParserStats } from '../protocols/card-reader/frame.js';
import { ReaderLiveness } from '../protocols/card-reader/liveness.js';
import { monotonicMs } from '../core/clock.js';
import type {
  CardFrame,
  CardReaderEvents,
  CardReport,
  CardSighting,
  PageAck,
  PageMode,
  ReaderState,
  ReaderStateChange,
  ReaderStatus,
  TimeSource,
} from '../protocols/card-reader/types.js';

export interface CardReaderBusOptions {
  link: Link;
  /** Reader addresses expected on this line: reported offline until first heard. Others are learnt when heard. */
  readers?: readonly number[];
  /** A reader silent this long is offline (its area's headcount becomes unknown). */
  offlineAfterMs?: number;
  /** How often silence is checked; default a fifth of offlineAfterMs (at least 10 ms). */
  checkIntervalMs?: number;
  /** Default wait for a page ack. */
  pageTimeoutMs?: number;
  /** Line quiet this long ends any half-received frame (so a false start cannot hold a real frame back). */
  idleFlushMs?: number;
  /** Backoff for reopening a dropped link: starts at min, doubles up to max. */
  reopenMinMs?: number;
  reopenMaxMs?: number;
  clock?: TimeSource;
}

export const CARD_READER_BUS_DEFAULTS = {
  readers: [] as readonly number[],
  offlineAfterMs: 5_000,
  pageTimeoutMs: 2_000,
  idleFlushMs: 100,
  reopenMinMs: 200,
  reopenMaxMs: 5_000,
} as const;

const systemTime: TimeSource = { wall: () => Date.now(), mono: monotonicMs };

export interface CardReaderBusStats {
  /** Valid frames from readers (reports, status, acks). */
  frames: number;
  sightings: number;
  /** Frames repeating the previous sequence number of their reader (dropped). */
  duplicates: number;
  /** Frames missing from readers' sequences. */
  missedFrames: number;
  /** Our own page commands heard back (adapters that echo the half-duplex line). */
  echoes: number;
  pagesSent: number;
  pageTimeouts: number;
  /** Successful reopens after the link dropped. */
  reopens: number;
  parser: CardParserStats;
}

export interface PageOptions {
  mode?: PageMode;
  timeoutMs?: number;
}

interface PendingPage {
  reader: number;
  tag: number;
  timer: NodeJS.Timeout;
  resolve: (ack: PageAck) => void;
  reject: (err: CardReaderError) => void;
}

type BusEvents = CardReaderEvents & { status: [ReaderStatus] };

/**
 * Events: 'sightings' (CardSighting[] per report frame), 'sighting' (each), 'reader'
 * (ReaderStateChange), 'loss' (ReaderLoss: frames missing from a reader's sequence), 'status'
 * (ReaderStatus), 'open', 'close' (link dropped; it is reopened).
 */
export class CardReaderBus extends EventEmitter<BusEvents> {
  readonly link: Link;
  private readonly offlineAfterMs: number;
  private readonly checkIntervalMs: number;
  private readonly pageTimeoutMs: number;
  private readonly idleFlushMs: number;
  private readonly clock: TimeSource;
  private readonly parser = new CardFrameParser();
  private readonly liveness: ReaderLiveness;
  private readonly pending = new Map<string, PendingPage>();
  private readonly counters = { frames: 0, sightings: 0, duplicates: 0, missedFrames: 0, echoes: 0, pagesSent: 0, pageTimeouts: 0 };

  private readonly reopener: LinkReopener;
  private idleTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private nextCommandSeq = 0;

  constructor(opts: CardReaderBusOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`CardReaderBus options must be an object, got ${String(opts)}`);
    const link = opts.link;
    if (!link || typeof link.open !== 'function' || typeof link.write !== 'function' || typeof link.on !== 'function') {
      throw new TypeError(`CardReaderBus link must implement Link (open/close/write + events), got ${String(link)}`);
    }
    const o = { ...CARD_READER_BUS_DEFAULTS, ...opts };
    const positive = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`CardReaderBus ${name} must be a positive number of ms, got ${String(v)}`);
      return v;
    };
    this.offlineAfterMs = positive('offlineAfterMs', o.offlineAfterMs);
    this.checkIntervalMs = positive('checkIntervalMs', opts.checkIntervalMs ?? Math.max(10, Math.round(o.offlineAfterMs / 5)));
    this.pageTimeoutMs = positive('pageTimeoutMs', o.pageTimeoutMs);
    this.idleFlushMs = positive('idleFlushMs', o.idleFlushMs);
    const reopenMinMs = positive('reopenMinMs', o.reopenMinMs);
    const reopenMaxMs = positive('reopenMaxMs', o.reopenMaxMs);
    if (reopenMaxMs < reopenMinMs) throw new TypeError(`CardReaderBus reopenMaxMs (${reopenMaxMs}) must be >= reopenMinMs (${reopenMinMs})`);
    if (!Array.isArray(o.readers)) throw new TypeError(`CardReaderBus readers must be an array of addresses, got ${String(o.readers)}`);
    for (const r of o.readers) checkReader(r, 'CardReaderBus readers entry', TypeError);
    if (o.clock !== undefined && (typeof o.clock.wall !== 'function' || typeof o.clock.mono !== 'function')) {
      throw new TypeError(`CardReaderBus clock must have wall() and mono(), got ${String(o.clock)}`);
    }
    this.clock = o.clock ?? systemTime;
    this.liveness = new ReaderLiveness(this.offlineAfterMs, 256, o.readers);
    this.link = link;
    link.on('data', this.onData);
    this.reopener = new LinkReopener(link, {
      reopenMinMs,
      reopenMaxMs,
      onOpen: this.onLinkOpen,
      onDrop: this.onLinkDrop,
      closedWhileOpening: () => new CardReaderError('closed', `${this.link.description}: reader bus closed while opening`),
    });
  }

  get isOpen(): boolean {
    return this.reopener.isUp;
  }

  /**
   * Opens the link and starts watching readers. If the link cannot be opened the promise rejects
   * (CardReaderError 'offline') and the bus keeps retrying in the background, emitting 'open' when up.
   */
  async open(): Promise<void> {
    // From now on a configured reader that never speaks is offline after offlineAfterMs.
    this.liveness.start(this.clock.mono());
    if (this.checkTimer === null) {
      this.checkTimer = setInterval(this.onCheck, this.checkIntervalMs);
      this.checkTimer.unref();
    }
    try {
      await this.reopener.open();
    } catch (err) {
      throw new CardReaderError('offline', `${this.link.description}: cannot open: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Stops reopening, fails pending pages with 'closed', marks every reader offline and releases the link. */
  async close(): Promise<void> {
    this.reopener.stop();
    this.clearTimer('idleTimer');
    if (this.checkTimer !== null) {
      clearInterval(this.checkTimer);
      this.checkTimer = null;
    }
    this.failPages((p) => new CardReaderError('closed', `${this.link.description}: reader bus closed`, { reader: p.reader, tag: p.tag }));
    this.emitChanges(this.liveness.allOffline('closed', this.clock.wall(), this.clock.mono()));
    this.parser.reset();
    await this.reopener.settled();
    await this.link.close();
  }

  /**
   * Page a card (ALL_CARDS: every card in range) through one reader; resolves with the reader's ack
   * once it delivered the page. Rejects with CardReaderError: page-timeout, page-rejected (the card
   * is not in range, `result`), page-unsupported, reader-offline, offline, closed, bad-request.
   */
  page(reader: number, tag: number, opts: PageOptions = {}): Promise<PageAck> {
    const mode = opts.mode ?? 'call';
    const timeoutMs = opts.timeoutMs ?? this.pageTimeoutMs;
    try {
      checkReader(reader, 'page reader', null);
      if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new CardReaderError('bad-request', `page tag must be an integer 0..4294967295, got ${String(tag)}`, { reader });
      if (mode !== 'call' && mode !== 'evacuate' && mode !== 'cancel') throw new CardReaderError('bad-request', `page mode must be call, evacuate or cancel, got ${String(mode)}`, { reader, tag });
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CardReaderError('bad-request', `page timeoutMs must be a positive number, got ${String(timeoutMs)}`, { reader, tag });
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.reopener.isUp) return Promise.reject(new CardReaderError('offline', `${this.link.description} is down`, { reader, tag }));
    const state = this.liveness.get(reader);
    if (!state?.online) return Promise.reject(new CardReaderError('reader-offline', `reader ${reader} is offline on ${this.link.description}`, { reader, tag }));
    if (state.canPage === false) return Promise.reject(new CardReaderError('page-unsupported', `reader ${reader} reports no paging support`, { reader, tag }));

    let seq = this.nextCommandSeq;
    for (let i = 0; i < 256 && this.pending.has(`${reader}:${seq}`); i++) seq = (seq + 1) & 0xff;
    if (this.pending.has(`${reader}:${seq}`)) return Promise.reject(new CardReaderError('bad-request', `256 pages already waiting for reader ${reader}`, { reader, tag }));
    this.nextCommandSeq = (seq + 1) & 0xff;
    const key = `${reader}:${seq}`;
    const frame = encodeCardFrame({ type: 'page', reader, seq, tag, mode });
    return new Promise<PageAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        this.counters.pageTimeouts++;
        reject(new CardReaderError('page-timeout', `reader ${reader}: no page ack for tag ${tag} within ${timeoutMs} ms`, { reader, tag }));
      }, timeoutMs);
      this.pending.set(key, { reader, tag, timer, resolve, reject });
      this.counters.pagesSent++;
      this.link.write(frame).catch((err: unknown) => {
        const p = this.pending.get(key);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(key);
        reject(new CardReaderError('offline', `${this.link.description}: page write failed: ${(err as Error).message}`, { reader, tag, cause: err }));
      });
    });
  }

  reader(address: number): ReaderState | undefined {
    return this.liveness.get(address);
  }

  readers(): ReaderState[] {
    return this.liveness.all();
  }

  stats(): CardReaderBusStats {
    return { ...this.counters, reopens: this.reopener.reopens, parser: this.parser.stats() };
  }

  // ---------------------------------------------------------------- receive

  private readonly onData = (chunk: Buffer): void => {
    // Bytes still arriving while close() releases the port must not bring readers back online.
    if (this.reopener.stopped) return;
    const frames = this.parser.push(chunk);
    this.clearTimer('idleTimer');
    if (this.parser.pending > 0) this.idleTimer = setTimeout(this.onIdle, this.idleFlushMs);
    for (const f of frames) this.handleFrame(f);
  };

  private readonly onIdle = (): void => {
    this.idleTimer = null;
    for (const f of this.parser.flush()) this.handleFrame(f);
  };

  private handleFrame(frame: CardFrame): void {
    // A downlink frame on the line is our own command echoed by the adapter: not a sign of life.
    if (frame.type === 'page') {
      this.counters.echoes++;
      return;
    }
    const wall = this.clock.wall();
    const mono = this.clock.mono();
    this.counters.frames++;
    const heard = this.liveness.heard(frame.reader, frame.seq, wall, mono);
    if (heard.change) this.emit('reader', heard.change);
    if (heard.missed > 0) {
      this.counters.missedFrames += heard.missed;
      this.emit('loss', { reader: frame.reader, count: heard.missed, unit: 'frames', wallTime: wall, monoTime: mono });
    }
    if (heard.duplicate) {
      this.counters.duplicates++;
      return;
    }
    switch (frame.type) {
      case 'card-report':
        this.report(frame, wall, mono);
        break;
      case 'status':
        this.liveness.status(frame.reader, frame.power, frame.canPage);
        this.emit('status', frame);
        break;
      case 'page-ack':
        this.ack(frame);
        break;
    }
  }

  private report(frame: CardReport, wall: number, mono: number): void {
    if (frame.records.length === 0) return;
    const sightings: CardSighting[] = frame.records.map((r) => ({
      reader: frame.reader,
      tag: r.tag,
      rssi: r.rssi,
      distanceM: r.distanceM,
      lowBattery: r.lowBattery,
      sos: r.sos,
      sosDouble: r.sosDouble ?? false,
      wallTime: wall,
      monoTime: mono,
    }));
    this.counters.sightings += sightings.length;
    this.emit('sightings', sightings);
    if (this.listenerCount('sighting') > 0) for (const s of sightings) this.emit('sighting', s);
  }

  private ack(frame: PageAck): void {
    const key = `${frame.reader}:${frame.commandSeq}`;
    const p = this.pending.get(key);
    // A late ack (after its timeout) or one for another gateway's command: nothing waits for it.
    if (!p || p.tag !== frame.tag) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    if (frame.result === 'delivered') p.resolve(frame);
    else p.reject(new CardReaderError('page-rejected', `reader ${frame.reader}: page of tag ${frame.tag} not delivered (${frame.result})`, { reader: frame.reader, tag: frame.tag, result: frame.result }));
  }

  private readonly onCheck = (): void => {
    this.emitChanges(this.liveness.check(this.clock.wall(), this.clock.mono()));
  };

  private emitChanges(changes: ReaderStateChange[]): void {
    for (const c of changes) this.emit('reader', c);
  }

  // ---------------------------------------------------------------- link lifecycle

  private readonly onLinkOpen = (): void => {
    this.parser.reset();
    this.emit('open');
  };

  /** The link dropped while up; the reopener schedules a reopen after this. */
  private readonly onLinkDrop = (err: Error | undefined): void => {
    this.clearTimer('idleTimer');
    this.parser.reset();
    const cause = err ? `: ${err.message}` : '';
    this.failPages((p) => new CardReaderError('offline', `${this.link.description} went down${cause}`, { reader: p.reader, tag: p.tag, ...(err ? { cause: err } : {}) }));
    // Nothing can be heard from any reader now: every area on this line is unknown until it is.
    this.emitChanges(this.liveness.allOffline('link-down', this.clock.wall(), this.clock.mono()));
    this.emit('close', err);
  };

  private failPages(makeError: (p: PendingPage) => CardReaderError): void {
    const pages = [...this.pending.values()];
    this.pending.clear();
    for (const p of pages) {
      clearTimeout(p.timer);
      p.reject(makeError(p));
    }
  }

  private clearTimer(which: 'idleTimer'): void {
    const t = this[which];
    if (t !== null) {
      clearTimeout(t);
      this[which] = null;
    }
  }
}

function checkReader(reader: unknown, what: string, asType: typeof TypeError | null): void {
  if (typeof reader === 'number' && Number.isInteger(reader) && reader >= MIN_READER && reader <= MAX_READER) return;
  const message = `${what} must be a reader address ${MIN_READER}..${MAX_READER}, got ${String(reader)}`;
  if (asType) throw new asType(message);
  throw new CardReaderError('bad-request', message);
}
