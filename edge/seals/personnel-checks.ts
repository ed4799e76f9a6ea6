// The cross-checks of the seal counts against personnel positioning (domain.md §3: every person
// entering must carry a card, S23, S20; §4: seal headcount against the positioning headcount):
// persons counted in without a card check-in (人员未带卡), a sustained headcount mismatch, and
// persons crossing while positioning sees no card at all. Readers down make a check unknown, not zero.
import type { AlarmBook } from './alarm-book.js';
import { SEAL_RULES } from './events.js';
import { MINE, type MouthRt, plural, type SealRuntime, type Stamp } from './seal-runtime.js';

/** The seal headcount as the shift keeps it (shift-headcount.ts). */
export interface SealHeadcount {
  readonly baseline: number;
  readonly sealHeadcount: number;
}

export class PersonnelChecks {
  /** Persons crossing in either direction (for the positioning-silent check), by time. */
  private personCrossings: Stamp[] = [];
  private mismatchSince: number | null = null;
  private matchSince: number | null = null;

  constructor(
    private readonly rt: SealRuntime,
    private readonly alarms: AlarmBook,
    private readonly headcount: SealHeadcount,
  ) {}

  notePersonCrossing(stamp: Stamp): void {
    this.personCrossings.push(stamp);
  }

  /** A new shift compares against a new baseline: the sustain clocks start again. */
  restartHeadcountClocks(): void {
    this.mismatchSince = null;
    this.matchSince = null;
  }

  /** Why the card and headcount checks are unknown while positioning is offline. */
  unknownBecause(): string {
    const readers = this.rt.safe(() => this.rt.personnel.offlineReaders?.() ?? [], []);
    return readers.length > 0 ? `card and headcount checks unknown: ${readers.join(', ')}` : 'card and headcount checks unknown: positioning readers offline';
  }

  /** Persons counted into the mine that no card check-in at the mouth accounts for. */
  checkCards(mouth: MouthRt, online: boolean, now: number): void {
    const { cardWindowMs: w, cardGraceMs: g, cardTolerance } = this.rt.config.checks;
    mouth.entries = mouth.entries.filter((s) => s.wall > now - w - g);
    const station = mouth.cfg.personnelStation;
    // Readers down: check-ins are unknown, not zero. The positioning-silent rule covers that case.
    if (station === undefined || !online) return;
    const key = `person-without-card:${mouth.cfg.id}`;
    const active = this.alarms.get(key);
    // Entries old enough for their card to have registered, against check-ins up to `g` either side.
    const counted = mouth.entries.filter((s) => s.wall > now - w && s.wall <= now - g);
    const entries = counted.reduce((n, s) => n + s.count, 0);
    const checkIns = this.rt.safe(() => this.rt.personnel.checkInsAt(station, now - w - g), null);
    if (checkIns === null) return;
    const unmatched = entries - checkIns;
    if (unmatched > cardTolerance) {
      const cameraId = counted[counted.length - 1]!.cameraId;
      const cam = this.rt.cameras.get(cameraId)!;
      const message = `${SEAL_RULES['person-without-card']}: ${mouth.cfg.name} counted ${plural(entries, 'person', 'persons')} entering in the last ${Math.round(w / 1000)} s, but only ${checkIns} card check-ins at ${station}`;
      if (!active) this.alarms.raise('person-without-card', mouth.cfg.id, { shaftMouth: mouth.cfg.id, cameraId, position: cam.cfg.position, count: unmatched, message }, now);
      else if (active.count !== unmatched) this.alarms.update(active, { count: unmatched, message }, now);
    } else if (active) {
      this.alarms.clear(active, `${mouth.cfg.name}: seal entries and card check-ins agree again`, now);
    }
  }

  checkHeadcount(online: boolean, now: number): void {
    const { headcountTolerance: tol, headcountSustainMs: sustain } = this.rt.config.checks;
    const key = `headcount-mismatch:${MINE}`;
    const active = this.alarms.get(key);
    const positioning = online ? this.rt.safe(() => this.rt.personnel.undergroundCount(), null) : null;
    if (positioning === null) {
      // Nothing to compare with; the sustain clocks restart when positioning is back.
      this.mismatchSince = null;
      this.matchSince = null;
      return;
    }
    const seal = this.headcount.sealHeadcount;
    const diff = Math.abs(seal - positioning);
    const message = `${SEAL_RULES['headcount-mismatch']}: seal ${seal} (shift baseline ${this.headcount.baseline}), positioning ${positioning}, tolerance ±${tol}`;
    if (diff > tol) {
      this.matchSince = null;
      this.mismatchSince ??= now;
      if (!active && now - this.mismatchSince >= sustain) this.alarms.raise('headcount-mismatch', MINE, { position: this.rt.minePosition(), count: diff, message }, now);
      else if (active && active.count !== diff) this.alarms.update(active, { count: diff, message }, now);
    } else {
      this.mismatchSince = null;
      this.matchSince ??= now;
      if (active && now - this.matchSince >= sustain) this.alarms.clear(active, `headcounts agree again: seal ${seal}, positioning ${positioning}`, now);
    }
  }

  checkPositioningSilent(online: boolean, now: number): void {
    const { positioningSilentMs: s, cardGraceMs: g } = this.rt.config.checks;
    this.personCrossings = this.personCrossings.filter((c) => c.wall >= now - s);
    const key = `positioning-silent:${MINE}`;
    const active = this.alarms.get(key);
    const last = this.rt.safe(() => this.rt.personnel.lastSightingWallMs(), null);
    const silent = !online || last === null || now - last > s;
    if (!silent) {
      if (active) this.alarms.clear(active, 'positioning sees cards again', now);
      return;
    }
    // Crossings old enough that the card of a person who had one would have been seen by now.
    const seen = this.personCrossings.filter((c) => c.wall <= now - g);
    if (seen.length === 0 || active) return;
    const count = seen.reduce((n, c) => n + c.count, 0);
    const latest = this.rt.cameras.get(seen[seen.length - 1]!.cameraId)!;
    const why = !online ? 'positioning readers offline' : last === null ? 'no card seen since start' : `no card seen for ${Math.round((now - last) / 1000)} s`;
    this.alarms.raise('positioning-silent', MINE, { shaftMouth: latest.mouth.cfg.id, cameraId: latest.cfg.device, position: latest.cfg.position, count, message: `${SEAL_RULES['positioning-silent']}: seal counted ${plural(count, 'person', 'persons')} crossing (latest at ${latest.cfg.position}), ${why}` }, now);
  }
}
