// 明停暗开 (declared stopped but producing; domain.md §4, S26): a shaft mouth's declared mode, and
// the two alarms it makes possible — any crossing at a mouth declared stopped, and a production
// load drawing more than its idle power for its sustain time while its mouth is declared stopped.
import type { SealMode } from '../../board-configs/seal-schema.js';
// Messages show mine time with its zone (issue 14 item 8: one time rule), never UTC ISO.
import { formatTimeZoned } from '../../core/mine-time.js';
import type { AlarmBook } from './alarm-book.js';
import type { SealEventLog } from './event-log.js';
import { SEAL_RULES } from './events.js';
import { type CameraRt, type LoadRt, type MouthRt, plural, type SealRuntime } from './seal-runtime.js';

/** One counted crossing, as the counting hands it on. */
export interface Crossing {
  cam: CameraRt;
  count: number;
  /** "2 persons", "1 vehicle". */
  what: string;
  inward: boolean;
}

export class IllegalProduction {
  constructor(
    private readonly rt: SealRuntime,
    private readonly alarms: AlarmBook,
    private readonly events: SealEventLog,
  ) {}

  /** A crossing at a mouth declared stopped raises (or extends) its stopped-crossing alarm. */
  onCrossing(mouth: MouthRt, c: Crossing, now: number): void {
    if (mouth.mode.mode !== 'stopped') return;
    const { cam, count, what, inward } = c;
    const base = { shaftMouth: mouth.cfg.id, cameraId: cam.cfg.device, position: cam.cfg.position };
    const key = `stopped-crossing:${mouth.cfg.id}`;
    const active = this.alarms.get(key);
    if (!active) {
      this.alarms.raise('stopped-crossing', mouth.cfg.id, { ...base, count, message: `${SEAL_RULES['stopped-crossing']}: ${what} ${inward ? 'entered' : 'left'} at ${mouth.cfg.name} (${cam.cfg.position}), declared stopped since ${formatTimeZoned(mouth.mode.sinceWall, this.rt.config.shifts.tzOffsetMinutes)}` }, now);
    } else {
      active.lastWall = now;
      this.alarms.update(active, { count: (active.count ?? 0) + count, cameraId: cam.cfg.device, position: cam.cfg.position, message: `${SEAL_RULES['stopped-crossing']}: ${plural((active.count ?? 0) + count, 'crossing', 'crossings')} at ${mouth.cfg.name} while stopped; latest ${what} ${inward ? 'in' : 'out'} (${cam.cfg.position})` }, now);
    }
  }

  /** A stopped-crossing alarm ends once its mouth has been quiet for stoppedCrossingClearMs. */
  clearQuietMouths(now: number): void {
    const clearMs = this.rt.config.checks.stoppedCrossingClearMs;
    for (const mouth of this.rt.mouths.values()) {
      const active = this.alarms.get(`stopped-crossing:${mouth.cfg.id}`);
      if (active && now - active.lastWall >= clearMs) {
        this.alarms.clear(active, `${mouth.cfg.name}: no crossing for ${Math.round(clearMs / 1000)} s`, now);
      }
    }
  }

  /** A production load above idle for its sustain time while its mouth is declared stopped. */
  evaluatePower(load: LoadRt, now: number): void {
    const key = `stopped-power:${load.cfg.id}`;
    const active = this.alarms.get(key);
    if (!load.cfg.production || load.mouth.mode.mode !== 'stopped') {
      load.aboveSince = null;
      load.belowSince = null;
      if (active) this.alarms.clear(active, `${load.cfg.name}: ${load.mouth.cfg.name} is producing`, now);
      return;
    }
    // An untrusted reading says nothing either way: keep the timers as they are.
    if (load.powerKw === null) return;
    const kw = load.powerKw;
    if (kw > load.cfg.idleKw) {
      load.belowSince = null;
      load.aboveSince ??= now;
      if (active) {
        active.value = Math.max(active.value ?? 0, kw);
      } else if (now - load.aboveSince >= load.sustainMs) {
        const cam = load.mouth.cfg.cameras[0]!;
        this.alarms.raise('stopped-power', load.cfg.id, {
          shaftMouth: load.mouth.cfg.id,
          cameraId: cam.device,
          position: load.cfg.name,
          load: load.cfg.id,
          value: kw,
          message: `${SEAL_RULES['stopped-power']}: ${load.cfg.name} draws ${kw.toFixed(1)} kW (idle ≤ ${load.cfg.idleKw} kW) for ${Math.round((now - load.aboveSince) / 1000)} s while ${load.mouth.cfg.name} is declared stopped`,
        }, now);
      }
    } else {
      load.aboveSince = null;
      load.belowSince ??= now;
      if (active && now - load.belowSince >= load.sustainMs) this.alarms.clear(active, `${load.cfg.name} back at idle (${kw.toFixed(1)} kW)`, now);
    }
  }

  /** Switch a mouth's declared mode; declaring it producing ends its stopped-crossing alarm. */
  applyMode(mouth: MouthRt, mode: SealMode, operator: string, reason: string, now: number): void {
    const from = mouth.mode.mode;
    mouth.mode = { mode, sinceWall: now, operator, reason, configMode: mouth.cfg.mode };
    this.rt.dirty = true;
    this.events.emit({ type: 'mode-changed', shaftMouth: mouth.cfg.id, position: mouth.cfg.name, operator, reason, message: `${mouth.cfg.name}: ${from} → ${mode} by ${operator}: ${reason}` }, now);
    if (mode === 'producing') {
      const active = this.alarms.get(`stopped-crossing:${mouth.cfg.id}`);
      if (active) this.alarms.clear(active, `${mouth.cfg.name} declared producing by ${operator}`, now);
    }
  }
}
