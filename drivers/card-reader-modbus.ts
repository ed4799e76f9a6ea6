// Personnel card readers that queue card records in a Modbus register FIFO (profile
// board-configs/profiles/card-reader-fifo.yaml). Polls each reader through a ModbusPort (the
// ModbusMaster), turns the records into the same CardSightings as the framed RS-485 driver, and pops
// them with an idempotent ack write, so a lost reply or a retried ack never loses or repeats a record.
import { EventEmitter } from 'node:events';
import type { Profile } from '../board-configs/profile-schema.js';
import { ReaderLiveness } from '../protocols/card-reader/liveness.js';
import type { CardReaderEvents, CardSighting, ReaderPower, ReaderState, ReaderStateChange, TimeSource } from '../protocols/card-reader/types.js';
import type { ModbusPort } from './modbus-device.js';
import { monotonicMs } from '../core/clock.js';

export interface CardReaderFifoOptions {
  /** The bus master the readers hang on (ModbusMaster satisfies it). */
  master: ModbusPort;
  /** Modbus unit ids of the readers on this bus. */
  readers: readonly number[];
  /** One poll cycle over every reader starts this often. */
  pollMs?: number;
  /** A reader that has not answered for this long is offline (its area's headcount becomes unknown). */
  offlineAfterMs?: number;
  /** Per-request timeout; the master's default when omitted. */
  timeoutMs?: number;
  /** At most this many windows are drained per reader per cycle, so one busy reader cannot starve the rest. */
  maxWindowsPerPoll?: number;
  /**
   * The register map (board-configs/profiles/card-reader-fifo.yaml, loaded by the caller: a driver
   * knows devices, not where their profiles are kept).
   */
  profile: Profile;
  clock?: TimeSource;
}

export const CARD_READER_FIFO_DEFAULTS = {
  pollMs: 1_000,
  offlineAfterMs: 5_000,
  maxWindowsPerPoll: 4,
} as const;

const REGISTERS_PER_RECORD = 4;
const SEQ_MODULUS = 0x10000;
const FLAG_LOW_BATTERY = 0x01;
const FLAG_SOS = 0x02;
const FLAG_SOS_DOUBLE = 0x04;
const FLAG_SIDE_B = 0x08;
const STATUS_MAINS = 0x01;
const STATUS_POWER_FAULT = 0x02;
const HEADER_CHANNELS = ['queued', 'head-seq', 'reader-status', 'overflows', 'in-range', 'window-records'] as const;
type HeaderChannel = (typeof HEADER_CHANNELS)[number];

const systemTime: TimeSource = { wall: () => Date.now(), mono: monotonicMs };

export interface CardReaderFifoStats {
  /** Reader polls attempted / failed (timeout, exception, link down). */
  polls: number;
  pollErrors: number;
  sightings: number;
  /** Records read again because an earlier ack did not land; not re-emitted. */
  duplicatesSkipped: number;
  /** Records the readers dropped from a full FIFO. */
  recordsLost: number;
  acks: number;
}

interface ReaderCursor {
  /** Sequence number of the next record not yet emitted; null until the first window is taken. */
  nextSeq: number | null;
  /** Last overflow counter read; null until the first poll (drops before it cannot be told from old ones). */
  overflows: number | null;
}

/** Signed distance a - b on the 16-bit sequence circle, in -32768..32767. */
function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - SEQ_MODULUS : d;
}

/**
 * Events (same as CardReaderBus): 'sightings' (per window), 'sighting', 'reader' (online/offline),
 * 'loss' (records a reader's FIFO dropped).
 */
export class CardReaderFifoDriver extends EventEmitter<CardReaderEvents> {
  private readonly master: ModbusPort;
  private readonly units: readonly number[];
  private readonly pollMs: number;
  private readonly timeoutMs: number | undefined;
  private readonly maxWindowsPerPoll: number;
  private readonly clock: TimeSource;
  private readonly liveness: ReaderLiveness;
  private readonly header: { address: number; count: number; offset: Record<HeaderChannel, number> };
  private readonly windowAddress: number;
  private readonly ackAddress: number;
  private readonly cursors = new Map<number, ReaderCursor>();
  private readonly counters: CardReaderFifoStats = { polls: 0, pollErrors: 0, sightings: 0, duplicatesSkipped: 0, recordsLost: 0, acks: 0 };
  private running = false;
  private loop: Promise<void> | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;

  constructor(opts: CardReaderFifoOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`CardReaderFifoDriver options must be an object, got ${String(opts)}`);
    if (!opts.master || typeof opts.master.read !== 'function' || typeof opts.master.write !== 'function') {
      throw new TypeError(`CardReaderFifoDriver master must have read() and write(), got ${String(opts.master)}`);
    }
    if (!Array.isArray(opts.readers) || opts.readers.length === 0) throw new TypeError(`CardReaderFifoDriver readers must be a non-empty array of unit ids, got ${String(opts.readers)}`);
    for (const u of opts.readers) {
      if (!Number.isInteger(u) || u < 1 || u > 247) throw new TypeError(`CardReaderFifoDriver reader unit must be an integer 1..247, got ${String(u)}`);
    }
    if (new Set(opts.readers).size !== opts.readers.length) throw new TypeError(`CardReaderFifoDriver readers must not repeat a unit id, got ${opts.readers.join(', ')}`);
    const o = { ...CARD_READER_FIFO_DEFAULTS, ...opts };
    const positive = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`CardReaderFifoDriver ${name} must be a positive number, got ${String(v)}`);
      return v;
    };
    this.pollMs = positive('pollMs', o.pollMs);
    this.timeoutMs = opts.timeoutMs === undefined ? undefined : positive('timeoutMs', opts.timeoutMs);
    this.maxWindowsPerPoll = positive('maxWindowsPerPoll', o.maxWindowsPerPoll);
    if (!Number.isInteger(this.maxWindowsPerPoll)) throw new TypeError(`CardReaderFifoDriver maxWindowsPerPoll must be an integer, got ${this.maxWindowsPerPoll}`);
    if (o.clock !== undefined && (typeof o.clock.wall !== 'function' || typeof o.clock.mono !== 'function')) {
      throw new TypeError(`CardReaderFifoDriver clock must have wall() and mono(), got ${String(o.clock)}`);
    }
    this.clock = o.clock ?? systemTime;
    this.master = opts.master;
    this.units = [...opts.readers];
    this.liveness = new ReaderLiveness(positive('offlineAfterMs', o.offlineAfterMs), SEQ_MODULUS, this.units);
    for (const u of this.units) this.cursors.set(u, { nextSeq: null, overflows: null });

    const profile = opts.profile;
    const channel = (name: string, table: 'input' | 'holding'): number => {
      const ch = profile.channels[name];
      if (!ch || ch.table !== table) throw new TypeError(`profile ${profile.name} needs the ${table}-register channel "${name}" for a card-reader FIFO`);
      return ch.address;
    };
    const addresses = HEADER_CHANNELS.map((n) => channel(n, 'input'));
    const first = Math.min(...addresses);
    const count = Math.max(...addresses) - first + 1;
    if (count > 125) throw new TypeError(`profile ${profile.name}: header channels span ${count} registers, more than one read (125)`);
    this.header = { address: first, count, offset: Object.fromEntries(HEADER_CHANNELS.map((n, i) => [n, addresses[i]! - first])) as Record<HeaderChannel, number> };
    this.windowAddress = channel('record-window', 'input');
    this.ackAddress = channel('ack', 'holding');
  }

  /** Starts the poll loop (first cycle at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // From now on a configured reader that never answers is offline after offlineAfterMs.
    this.liveness.start(this.clock.mono());
    this.loop = this.run();
  }

  /** Stops polling after the current request, and marks every reader offline ('closed'). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.emitChanges(this.liveness.allOffline('closed', this.clock.wall(), this.clock.mono()));
  }

  /** One cycle over every reader, then the silence check. The loop calls it; tests may too. */
  async pollOnce(): Promise<void> {
    for (const unit of this.units) {
      if (this.loop !== null && !this.running) break;
      this.counters.polls++;
      try {
        await this.pollReader(unit);
      } catch {
        // Timeouts, exceptions and a dropped link all mean "not heard": liveness decides when that is offline.
        this.counters.pollErrors++;
      }
    }
    this.emitChanges(this.liveness.check(this.clock.wall(), this.clock.mono()));
  }

  reader(unit: number): ReaderState | undefined {
    return this.liveness.get(unit);
  }

  readers(): ReaderState[] {
    return this.liveness.all();
  }

  stats(): CardReaderFifoStats {
    return { ...this.counters };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = this.clock.mono();
      await this.pollOnce();
      const wait = this.pollMs - (this.clock.mono() - started);
      if (!this.running) break;
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.sleepTimer = setTimeout(resolve, wait);
        });
        this.wake = null;
        this.sleepTimer = null;
      }
    }
  }

  private read(unit: number, table: 'input', address: number, count: number): Promise<number[]> {
    return this.master.read(unit, table, address, count, this.timeoutMs === undefined ? undefined : { timeoutMs: this.timeoutMs });
  }

  private async pollReader(unit: number): Promise<void> {
    const cursor = this.cursors.get(unit)!;
    for (let w = 0; w < this.maxWindowsPerPoll; w++) {
      const h = await this.read(unit, 'input', this.header.address, this.header.count);
      const field = (name: HeaderChannel): number => h[this.header.offset[name]] ?? 0;
      const queued = field('queued');
      const headSeq = field('head-seq');
      if (w === 0) this.noteHeader(unit, cursor, field('reader-status'), field('overflows'));
      const windowRecords = Math.min(field('window-records'), Math.floor(125 / REGISTERS_PER_RECORD));
      if (queued === 0 || windowRecords === 0) return;

      // A head behind our cursor by at most one window is a re-read after an ack that did not land;
      // further behind, the reader restarted its numbering.
      if (cursor.nextSeq !== null) {
        const behind = seqDiff(headSeq, cursor.nextSeq);
        if (behind > 0 || behind < -windowRecords) cursor.nextSeq = null;
      }
      const n = Math.min(queued, windowRecords);
      const regs = await this.read(unit, 'input', this.windowAddress, n * REGISTERS_PER_RECORD);
      const wall = this.clock.wall();
      const mono = this.clock.mono();
      const sightings: CardSighting[] = [];
      for (let i = 0; i < n; i++) {
        const seq = (headSeq + i) & 0xffff;
        if (cursor.nextSeq !== null && seqDiff(seq, cursor.nextSeq) < 0) {
          this.counters.duplicatesSkipped++;
          continue;
        }
        sightings.push(decodeRecord(unit, regs, i * REGISTERS_PER_RECORD, wall, mono));
      }
      const end = (headSeq + n) & 0xffff;
      cursor.nextSeq = end;
      if (sightings.length > 0) {
        this.counters.sightings += sightings.length;
        this.emit('sightings', sightings);
        if (this.listenerCount('sighting') > 0) for (const s of sightings) this.emit('sighting', s);
      }
      await this.master.write(unit, 'holding', this.ackAddress, [end], this.timeoutMs === undefined ? undefined : { timeoutMs: this.timeoutMs });
      this.counters.acks++;
      if (queued <= n) return;
    }
  }

  private noteHeader(unit: number, cursor: ReaderCursor, status: number, overflows: number): void {
    const wall = this.clock.wall();
    const mono = this.clock.mono();
    const heard = this.liveness.heard(unit, null, wall, mono);
    if (heard.change) this.emit('reader', heard.change);
    const power: ReaderPower = status & STATUS_POWER_FAULT ? 'fault' : status & STATUS_MAINS ? 'ac' : 'dc';
    this.liveness.status(unit, power, false);
    // The baseline survives offline periods: an outage is exactly when a FIFO fills up and drops.
    // A counter that went backwards means the reader restarted (65536 drops to wrap is implausible):
    // what it counts now was dropped since the restart.
    if (cursor.overflows !== null) {
      const lost = overflows >= cursor.overflows ? overflows - cursor.overflows : overflows;
      if (lost > 0) {
        this.counters.recordsLost += lost;
        this.liveness.addLost(unit, lost);
        this.emit('loss', { reader: unit, count: lost, unit: 'records', wallTime: wall, monoTime: mono });
      }
    }
    cursor.overflows = overflows;
  }

  private emitChanges(changes: ReaderStateChange[]): void {
    for (const c of changes) this.emit('reader', c);
  }
}

function decodeRecord(reader: number, regs: readonly number[], at: number, wallTime: number, monoTime: number): CardSighting {
  const tag = (regs[at] ?? 0) * 0x10000 + (regs[at + 1] ?? 0);
  const packed = regs[at + 2] ?? 0;
  const rssiByte = packed >>> 8;
  const flags = packed & 0xff;
  const dm = regs[at + 3] ?? 0;
  return {
    reader,
    tag,
    rssi: rssiByte >= 0x80 ? rssiByte - 0x100 : rssiByte,
    distanceM: dm === 0 ? 0 : flags & FLAG_SIDE_B ? -dm / 10 : dm / 10,
    lowBattery: (flags & FLAG_LOW_BATTERY) !== 0,
    sos: (flags & (FLAG_SOS | FLAG_SOS_DOUBLE)) !== 0,
    sosDouble: (flags & FLAG_SOS_DOUBLE) !== 0,
    wallTime,
    monoTime,
  };
}
