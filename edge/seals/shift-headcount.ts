// The seal headcount of the shift: a baseline taken at the shift start (from positioning, or zero,
// as configured) plus persons counted in minus out since, at every mouth. A new shift starts the
// totals at zero; a clock stepped back never recounts a shift.
import type { SealEventLog } from './event-log.js';
import { parseShiftStarts, shiftStartAt } from './shift.js';
import { type SealRuntime, zero } from './seal-runtime.js';
// Messages show mine time with its zone (issue 14 item 8: one time rule), never UTC ISO.
import { formatTimeZoned } from '../../core/mine-time.js';

export class ShiftHeadcount {
  shiftStart = Number.NaN;
  baseline = 0;
  private readonly shiftMinutes: number[];

  constructor(
    private readonly rt: SealRuntime,
    private readonly events: SealEventLog,
    /** Called when a new shift starts (the headcount cross-check restarts its clocks). */
    private readonly onNewShift: () => void,
  ) {
    this.shiftMinutes = parseShiftStarts(rt.config.shifts.starts);
  }

  get sealHeadcount(): number {
    let n = this.baseline;
    for (const m of this.rt.mouths.values()) n += m.totals.peopleIn - m.totals.peopleOut;
    return n;
  }

  /** Starts a new shift when `now` is past the next shift start. */
  roll(now: number): void {
    const start = shiftStartAt(now, this.shiftMinutes, this.rt.config.shifts.tzOffsetMinutes);
    if (start === this.shiftStart) return;
    // A clock stepped back into the previous shift keeps the current one: never recount a shift.
    if (!Number.isNaN(this.shiftStart) && start < this.shiftStart) return;
    const first = Number.isNaN(this.shiftStart);
    const carried = this.sealHeadcount;
    let source: string;
    if (this.rt.config.shifts.baseline === 'zero') {
      this.baseline = 0;
      source = 'zero by configuration';
    } else {
      const positioning = this.rt.safe(() => (this.rt.personnel.readersOnline() ? this.rt.personnel.undergroundCount() : null), null);
      if (positioning !== null) {
        this.baseline = positioning;
        source = 'positioning headcount';
      } else {
        this.baseline = first ? 0 : carried;
        source = first ? 'zero (positioning offline at first start)' : 'seal headcount carried over (positioning offline)';
      }
    }
    this.shiftStart = start;
    for (const m of this.rt.mouths.values()) m.totals = zero();
    this.onNewShift();
    this.rt.dirty = true;
    this.events.emit({ type: 'shift-started', position: this.rt.minePosition(), count: this.baseline, message: `shift started at ${formatTimeZoned(start, this.rt.config.shifts.tzOffsetMinutes)}; seal headcount baseline ${this.baseline} (${source})` }, now);
  }
}
