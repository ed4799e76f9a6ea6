// The simulated cards: where each one is at a scenario time (its scripted route, or where a test put
// it), its SOS and battery state, dead and cloned cards, and what a reader measures of it
// (RSSI, signed distance) with seeded jitter, so the same seed gives the same readings.
import type { CardRecord } from '../../protocols/card-reader/types.js';
import { noiseSample, seedFromName } from '../signals.js';
import type { CardScript } from './routes.js';

interface Press {
  at: number;
  double: boolean;
}

interface CardState {
  tag: number;
  route: CardScript['route'];
  /** Set once a test moves the card by hand: from then on the route no longer applies. */
  manual: { reader: number | null } | null;
  presses: Press[];
  lowBatteryAt: number | null;
  lowBatteryForced: boolean | null;
  /** A dead card: sends nothing. */
  silent: boolean;
  /** Readers where a cloned copy of this card is seen too. */
  clones: Set<number>;
}

export interface CardPopulationOptions {
  seed?: number;
  /** How long (scenario seconds) a card keeps signalling SOS after a press. */
  sosHoldS?: number;
}

export const CARD_POPULATION_DEFAULTS = {
  seed: 1,
  sosHoldS: 10,
} as const;

/** Readers measure distance to a card in range within this many metres. */
const RANGE_M = 40;

export class CardPopulation {
  private readonly cards = new Map<number, CardState>();
  private readonly seed: number;
  readonly sosHoldS: number;

  constructor(scripts: readonly CardScript[] = [], options: CardPopulationOptions = {}) {
    const o = { ...CARD_POPULATION_DEFAULTS, ...options };
    if (!Number.isInteger(o.seed)) throw new TypeError(`CardPopulation seed must be an integer, got ${String(o.seed)}`);
    if (!Number.isFinite(o.sosHoldS) || o.sosHoldS <= 0) throw new TypeError(`CardPopulation sosHoldS must be a positive number of seconds, got ${String(o.sosHoldS)}`);
    this.seed = o.seed;
    this.sosHoldS = o.sosHoldS;
    for (const s of scripts) {
      if (this.cards.has(s.tag)) throw new TypeError(`card tag ${s.tag} appears twice`);
      this.cards.set(s.tag, {
        tag: s.tag,
        route: s.route,
        manual: null,
        presses: s.sos.map((p) => ({ at: p.at, double: p.double })),
        lowBatteryAt: s.lowBatteryAt ?? null,
        lowBatteryForced: null,
        silent: false,
        clones: new Set(),
      });
    }
  }

  get tags(): number[] {
    return [...this.cards.keys()];
  }

  has(tag: number): boolean {
    return this.cards.has(tag);
  }

  private card(tag: number, create = false): CardState {
    let c = this.cards.get(tag);
    if (!c) {
      if (!create) throw new TypeError(`no card with tag ${String(tag)}`);
      if (!Number.isInteger(tag) || tag < 1 || tag > 0xfffffffe) throw new TypeError(`card tag must be an integer 1..4294967294, got ${String(tag)}`);
      c = { tag, route: [], manual: { reader: null }, presses: [], lowBatteryAt: null, lowBatteryForced: null, silent: false, clones: new Set() };
      this.cards.set(tag, c);
    }
    return c;
  }

  /** Put a card (created if new) at a reader, or out of every reader's range (null). Overrides its route. */
  move(tag: number, reader: number | null): void {
    this.card(tag, true).manual = { reader };
  }

  pressSos(tag: number, at: number, double: boolean): void {
    this.card(tag).presses.push({ at, double });
  }

  clearSos(tag: number): void {
    this.card(tag).presses = [];
  }

  setLowBattery(tag: number, on: boolean): void {
    this.card(tag).lowBatteryForced = on;
  }

  /** A dead card (flat battery, broken) sends nothing; on=false brings it back. */
  silence(tag: number, on: boolean): void {
    this.card(tag).silent = on;
  }

  /** A cloned copy of the card is seen at `reader` as well (on=false removes it). */
  clone(tag: number, reader: number, on: boolean): void {
    const c = this.card(tag);
    if (on) c.clones.add(reader);
    else c.clones.delete(reader);
  }

  /** The reader whose range the card is in at scenario time t, or null. */
  locationOf(tag: number, t: number): number | null {
    const c = this.cards.get(tag);
    if (!c) return null;
    if (c.manual) return c.manual.reader;
    for (const stop of c.route) if (t >= stop.at && t < stop.at + stop.dwell) return stop.reader;
    return null;
  }

  /** Whether `reader` can hear the card (or a clone of it) at time t. */
  heardBy(tag: number, reader: number, t: number): boolean {
    const c = this.cards.get(tag);
    if (!c) return false;
    return (!c.silent && this.locationOf(tag, t) === reader) || c.clones.has(reader);
  }

  /** Tags a reader hears at time t (originals and clones), in tag order. */
  tagsAt(reader: number, t: number): number[] {
    const out: number[] = [];
    for (const c of this.cards.values()) if (this.heardBy(c.tag, reader, t)) out.push(c.tag);
    return out.sort((a, b) => a - b);
  }

  /** What `reader` reports at time t; `sample` numbers the report (jitter changes per report). */
  recordsAt(reader: number, t: number, sample: number): CardRecord[] {
    const records: CardRecord[] = [];
    for (const c of this.cards.values()) {
      const original = !c.silent && this.locationOf(c.tag, t) === reader;
      const cloned = c.clones.has(reader);
      if (!original && !cloned) continue;
      records.push(this.measure(c, reader, t, sample, cloned && !original));
    }
    return records.sort((a, b) => a.tag - b.tag);
  }

  private measure(c: CardState, reader: number, t: number, sample: number, clone: boolean): CardRecord {
    const key = seedFromName(`${c.tag}/${reader}/${clone ? 'clone' : 'card'}`, this.seed);
    // Where in the reader's range the card stands (fixed per card and reader), plus a little walking about.
    const base = 2 + (RANGE_M - 4) * (noiseSample(key, -1) * 0.5 + 0.5);
    const distance = Math.max(0.1, base + noiseSample(key, sample));
    const side = noiseSample(key, -2) < 0 ? -1 : 1;
    const rssi = Math.round(-40 - 20 * Math.log10(1 + distance) + 2 * noiseSample(key ^ 0x5bd1e995, sample));
    const active = c.presses.filter((p) => p.at <= t && t < p.at + this.sosHoldS);
    const lowBattery = c.lowBatteryForced ?? (c.lowBatteryAt !== null && t >= c.lowBatteryAt);
    return {
      tag: c.tag,
      rssi: Math.max(-127, Math.min(-20, rssi)),
      distanceM: side * Math.round(distance * 10) / 10,
      lowBattery,
      sos: active.length > 0,
      sosDouble: active.some((p) => p.double),
    };
  }
}
