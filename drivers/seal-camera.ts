// Electronic seal camera (or its AI edge box) over Modbus: reads the seal-camera profile's counters,
// tamper bits and reboot markers into one sample, and turns successive samples into crossings.
// Cumulative counters lie in three ways: they wrap at 2^32, they restart at 0 when the box reboots,
// and a confused box can jump by thousands. Each must give no phantom crossing: the seal drives
// 明停暗开 alarms to the regulator, and a false "30 000 persons entered a stopped mine" is as bad as
// a missed one for the trust in the system.
import type { Profile } from '../board-configs/profile-schema.js';
import type { ModbusTable } from '../protocols/modbus/types.js';
import { type ModbusPort, planBlocks, type ReadBlock } from './modbus-device.js';
import { decodeRaw, widthOf } from './register-codec.js';

export const SEAL_COUNTERS = ['peopleIn', 'peopleOut', 'vehiclesIn', 'vehiclesOut'] as const;
export type SealCounterName = (typeof SEAL_COUNTERS)[number];
export type CounterSet = Record<SealCounterName, number>;

export const TAMPER_FLAGS = ['videoLost', 'occluded', 'displaced', 'blurred'] as const;
export type TamperFlag = (typeof TAMPER_FLAGS)[number];
export type SealTamper = Record<TamperFlag, boolean>;

/** Profile channel of every value the driver needs (board-configs/profiles/seal-camera.yaml). */
export const SEAL_CAMERA_CHANNELS = {
  peopleIn: 'people-in',
  peopleOut: 'people-out',
  vehiclesIn: 'vehicles-in',
  vehiclesOut: 'vehicles-out',
  videoLost: 'video-lost',
  occluded: 'occluded',
  displaced: 'displaced',
  blurred: 'blurred',
  lastEventS: 'last-event-time',
  uptimeS: 'uptime',
  bootCount: 'boot-count',
} as const;

/** Counters wrap here (uint32). */
export const COUNTER_MODULUS = 0x1_0000_0000;

/** One successful read of a camera. */
export interface SealSample {
  counters: CounterSet;
  tamper: SealTamper;
  bootCount: number;
  uptimeS: number;
  /** Camera time of its last counted crossing, epoch seconds; 0 = none. */
  lastEventS: number;
  wallTime: number;
  monoTime: number;
}

const zeroCounters = (): CounterSet => ({ peopleIn: 0, peopleOut: 0, vehiclesIn: 0, vehiclesOut: 0 });

type ChannelKey = keyof typeof SEAL_CAMERA_CHANNELS;
const COUNTER_TYPES = new Set(['uint32']);
const BIT_TYPES = new Set(['bool']);

/** Reads one seal camera through a bus master, in as few transactions as the profile allows. */
export class SealCameraReader {
  readonly blocks: readonly ReadBlock[];
  private readonly spans: Record<ChannelKey, { table: ModbusTable; address: number; width: number; type: Profile['channels'][string]['type']; wordOrder: 'high-first' | 'low-first' }>;

  constructor(
    readonly profile: Profile,
    readonly unit: number,
  ) {
    if (!profile || typeof profile !== 'object' || !profile.channels) throw new TypeError(`SealCameraReader: profile must be a loaded device profile, got ${String(profile)}`);
    if (profile.kind !== 'seal-camera') throw new TypeError(`SealCameraReader: profile "${profile.name}" is a ${profile.kind}, not a seal-camera`);
    if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new TypeError(`SealCameraReader: unit must be an integer 1..247, got ${String(unit)}`);
    const spans = {} as SealCameraReader['spans'];
    for (const [key, name] of Object.entries(SEAL_CAMERA_CHANNELS) as [ChannelKey, string][]) {
      const ch = profile.channels[name];
      if (!ch) throw new TypeError(`SealCameraReader: profile "${profile.name}" has no channel "${name}" (needed for ${key})`);
      const isCounter = (SEAL_COUNTERS as readonly string[]).includes(key) || key === 'lastEventS' || key === 'uptimeS';
      const isBit = (TAMPER_FLAGS as readonly string[]).includes(key);
      // A 16-bit counter would wrap every 65 536 crossings and a scaled one would not count persons.
      if (isCounter && (!COUNTER_TYPES.has(ch.type) || ch.scale !== 1 || ch.offset !== 0)) {
        throw new TypeError(`SealCameraReader: channel "${name}" of profile "${profile.name}" must be an unscaled uint32, got ${ch.type} scale ${ch.scale}`);
      }
      if (isBit && !BIT_TYPES.has(ch.type)) throw new TypeError(`SealCameraReader: channel "${name}" of profile "${profile.name}" must be a bool, got ${ch.type}`);
      if (key === 'bootCount' && ch.type !== 'uint16') throw new TypeError(`SealCameraReader: channel "${name}" of profile "${profile.name}" must be a uint16, got ${ch.type}`);
      spans[key] = { table: ch.table, address: ch.address, width: widthOf(ch.type), type: ch.type, wordOrder: ch.wordOrder };
    }
    this.spans = spans;
    this.blocks = planBlocks(Object.values(spans));
  }

  /** Read every block (one transaction each) and decode one sample. Throws the bus error as-is. */
  async read(port: ModbusPort, clock: { wall(): number; mono(): number }, opts?: { timeoutMs?: number }): Promise<SealSample> {
    const words: number[][] = [];
    for (const block of this.blocks) words.push(await port.read(this.unit, block.table, block.address, block.count, opts));
    return this.decode(words, clock.wall(), clock.mono());
  }

  /** Turn the words of `blocks` (same order) into a sample. */
  decode(blockWords: readonly (readonly number[])[], wallTime: number, monoTime: number): SealSample {
    if (blockWords.length !== this.blocks.length) throw new TypeError(`SealCameraReader: expected ${this.blocks.length} blocks of words, got ${blockWords.length}`);
    const value = (key: ChannelKey): number => {
      const s = this.spans[key];
      const i = this.blocks.findIndex((b) => b.table === s.table && s.address >= b.address && s.address + s.width <= b.address + b.count);
      const block = this.blocks[i]!;
      const words = blockWords[i]!.slice(s.address - block.address, s.address - block.address + s.width);
      if (words.length < s.width) throw new TypeError(`SealCameraReader: block ${block.table}@${block.address} is short (${blockWords[i]!.length} of ${block.count} words)`);
      return decodeRaw(s.type, words, s.wordOrder);
    };
    const counters = zeroCounters();
    for (const c of SEAL_COUNTERS) counters[c] = value(c);
    const tamper = { videoLost: false, occluded: false, displaced: false, blurred: false };
    for (const f of TAMPER_FLAGS) tamper[f] = value(f) !== 0;
    return { counters, tamper, bootCount: value('bootCount'), uptimeS: value('uptimeS'), lastEventS: value('lastEventS'), wallTime, monoTime };
  }
}

/** What the counter remembers between samples (persisted so a gateway restart counts each crossing once). */
export interface CounterBaseline {
  counters: CounterSet;
  bootCount: number;
  uptimeS: number;
  wallTime: number;
}

export type RestartReason = 'boot-count' | 'uptime' | 'counter-reset';

export type CounterEvent =
  | { type: 'crossing'; counter: SealCounterName; count: number; wallTime: number; lastEventS: number }
  /**
   * The box rebooted or its counters were reset: counting re-starts from the new values. `unverified`
   * is what the counters moved by across the restart; it cannot be told apart from a reset, so it is
   * reported but never counted.
   */
  | { type: 'restarted'; reason: RestartReason; unverified: CounterSet; wallTime: number }
  /** A counter moved further than any real crowd could in the time since the last sample. */
  | { type: 'jump'; counter: SealCounterName; from: number; to: number; allowance: number; wallTime: number };

export interface SealCameraCounterOptions {
  /** Crossings per counter accepted between two samples regardless of time. */
  maxJump?: number;
  /** Plus this many per minute of time between the samples. */
  maxCrossingsPerMinute?: number;
  /** Resume from a persisted baseline (after a gateway restart). */
  baseline?: CounterBaseline | null;
}

export const SEAL_COUNTER_DEFAULTS = {
  maxJump: 100,
  maxCrossingsPerMinute: 120,
} as const;

/**
 * Counter deltas → crossings. A delta is taken modulo 2^32 (a wrap is just more crossings) when it
 * is small enough to be real; a reboot (boot counter changed or uptime went back) or a counter that
 * went down by more than that re-baselines without counting; a forward jump beyond it is flagged and
 * re-baselined. Known limit: a counter reset without any reboot sign, from within `allowance` below
 * 2^32, looks exactly like a wrap.
 */
export class SealCameraCounter {
  private readonly maxJump: number;
  private readonly perMinute: number;
  private last: CounterBaseline | null;
  /** Monotonic time of `last` when it was observed in this process (a restored one has none). */
  private lastMono: number | null = null;

  constructor(opts: SealCameraCounterOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SealCameraCounter options must be an object, got ${String(opts)}`);
    const o = { ...SEAL_COUNTER_DEFAULTS, ...opts };
    if (!Number.isInteger(o.maxJump) || o.maxJump < 1) throw new TypeError(`SealCameraCounter maxJump must be an integer >= 1, got ${String(o.maxJump)}`);
    if (!Number.isFinite(o.maxCrossingsPerMinute) || o.maxCrossingsPerMinute < 0) {
      throw new TypeError(`SealCameraCounter maxCrossingsPerMinute must be >= 0, got ${String(o.maxCrossingsPerMinute)}`);
    }
    this.maxJump = o.maxJump;
    this.perMinute = o.maxCrossingsPerMinute;
    this.last = opts.baseline ? checkBaseline(opts.baseline) : null;
  }

  /** The last accepted sample, or null before the first. */
  get baseline(): CounterBaseline | null {
    return this.last ? { ...this.last, counters: { ...this.last.counters } } : null;
  }

  /** Crossings allowed per counter between a sample and the one before it. */
  allowance(sample: Pick<SealSample, 'wallTime' | 'monoTime'>): number {
    if (!this.last) return this.maxJump;
    // Monotonic time when both samples were taken by this process; wall time across a restart.
    const elapsedMs = this.lastMono !== null ? sample.monoTime - this.lastMono : sample.wallTime - this.last.wallTime;
    return this.maxJump + Math.ceil((this.perMinute * Math.max(0, elapsedMs)) / 60_000);
  }

  update(sample: SealSample): CounterEvent[] {
    const prev = this.last;
    const allowance = this.allowance(sample);
    this.last = { counters: { ...sample.counters }, bootCount: sample.bootCount, uptimeS: sample.uptimeS, wallTime: sample.wallTime };
    this.lastMono = sample.monoTime;
    if (!prev) return [];

    const deltas = zeroCounters();
    for (const c of SEAL_COUNTERS) deltas[c] = mod32(sample.counters[c] - prev.counters[c]);
    let reason: RestartReason | null = null;
    if (sample.bootCount !== prev.bootCount) reason = 'boot-count';
    else if (sample.uptimeS < prev.uptimeS) reason = 'uptime';
    else if (SEAL_COUNTERS.some((c) => sample.counters[c] < prev.counters[c] && deltas[c] > allowance)) reason = 'counter-reset';
    if (reason) {
      const unverified = zeroCounters();
      for (const c of SEAL_COUNTERS) unverified[c] = sample.counters[c] >= prev.counters[c] ? sample.counters[c] - prev.counters[c] : sample.counters[c];
      return [{ type: 'restarted', reason, unverified, wallTime: sample.wallTime }];
    }
    const events: CounterEvent[] = [];
    for (const c of SEAL_COUNTERS) {
      const d = deltas[c];
      if (d === 0) continue;
      if (d <= allowance) events.push({ type: 'crossing', counter: c, count: d, wallTime: sample.wallTime, lastEventS: sample.lastEventS });
      else events.push({ type: 'jump', counter: c, from: prev.counters[c], to: sample.counters[c], allowance, wallTime: sample.wallTime });
    }
    return events;
  }
}

function mod32(n: number): number {
  return ((n % COUNTER_MODULUS) + COUNTER_MODULUS) % COUNTER_MODULUS;
}

function checkBaseline(b: CounterBaseline): CounterBaseline {
  const bad = (what: string): never => {
    throw new TypeError(`SealCameraCounter baseline: ${what}, got ${JSON.stringify(b)}`);
  };
  if (!b || typeof b !== 'object' || !b.counters) bad('must be an object with counters');
  for (const c of SEAL_COUNTERS) {
    const v = b.counters[c];
    if (!Number.isInteger(v) || v < 0 || v >= COUNTER_MODULUS) bad(`counters.${c} must be a uint32`);
  }
  if (!Number.isInteger(b.bootCount) || b.bootCount < 0) bad('bootCount must be an integer >= 0');
  if (!Number.isFinite(b.uptimeS) || b.uptimeS < 0) bad('uptimeS must be >= 0');
  if (!Number.isFinite(b.wallTime)) bad('wallTime must be a finite ms epoch');
  return { counters: { ...b.counters }, bootCount: b.bootCount, uptimeS: b.uptimeS, wallTime: b.wallTime };
}
