// The fail-safe start (CLAUSES.startup, AQ 6201-2019 §4.7.4): every power output stays cut after a
// (re)start until every point that governs it has been read GOOD and fresh since then. It also
// keeps, per point, whether it has been read at all since start: the other rules give a point not
// yet read one patrol cycle (startupGraceMs) before they call it faulty, but only while this hold
// covers what the fault would cut.
import type { Reading } from '../../../core/readings.js';
import { CLAUSES } from '../clauses.js';
import { holdKey } from '../holds.js';
import type { PlannedPoint } from '../plan.js';
import { may } from '../quality-policy.js';
import type { Cycle, RestoredHold, RuleContext, SafetyRule } from '../rule-context.js';

export const STARTUP_KEY = holdKey('startup', 'restart');

interface Freshness {
  /** Freshly acquired since start, whatever its quality (fault-lockout grace, fault wording). */
  seen: boolean;
  /** A GOOD reading acquired since start: the only thing that releases the start-up hold. */
  provenFresh: boolean;
}

export class StartupHold implements SafetyRule {
  readonly holdRules = ['startup'] as const;
  private readonly points = new Map<string, Freshness>();
  /** Warm start: the start-up hold is placed at the first evaluation, from the readings in hand. */
  private warmHoldPending: boolean;

  constructor(
    private readonly ctx: RuleContext,
    /** Cut every power output at start until its governing points are freshly read. */
    readonly enabled: boolean,
    /** A reload inside a running process: outputs with good fresh readings in hand stay as they are. */
    readonly warmStart: boolean,
  ) {
    this.warmHoldPending = warmStart && enabled;
    for (const p of ctx.plan.points.values()) this.points.set(p.code, { seen: false, provenFresh: false });
  }

  /** The start-up hold is re-created at every start, never reloaded. */
  restore(_cycle: Cycle, _hold: RestoredHold): boolean {
    return true;
  }

  /** First evaluate or restore: a cold start cuts every power output now. */
  begin(now: number): void {
    this.ctx.startedAt = now;
    this.ctx.lastNow = now;
    if (!this.enabled || this.warmStart) return;
    const power = [...this.ctx.plan.outputs.values()].filter((o) => o.kind === 'power').map((o) => o.id);
    this.ctx.holds.place(power, { rule: 'startup', subject: 'restart', reason: 'gateway started: waiting for a fresh reading of every governing point', clause: CLAUSES.startup }, now, this.ctx.wall());
  }

  /** A power output with no reading in hand yet starts cut (a reload takes over what was on). */
  get startsCut(): boolean {
    return !this.warmStart && this.enabled;
  }

  /** Whether `code` has been read (any quality) since start. */
  seen(code: string): boolean {
    return this.points.get(code)?.seen === true;
  }

  /** Note a monitored point's reading of this cycle. */
  note(point: PlannedPoint, r: Reading | undefined): void {
    const st = this.points.get(point.code)!;
    // Fresh since the (re)start: acquired after it on a cold start; on a warm start (reload) the
    // point table's freshness limit already says whether the reading in hand is fresh.
    if (r !== undefined && r.quality !== 'stale' && (this.warmStart || r.monoTime >= this.ctx.startedAt!)) {
      st.seen = true;
      if (may('mayRelease', point, r)) st.provenFresh = true;
    }
  }

  /**
   * Not yet read since start and still within one patrol cycle of it: neither good nor faulty yet.
   * Only while the start-up hold keeps every output the fault would cut off already: a point never
   * read since a reload must not keep a zone energised for the grace period (it cuts at once).
   */
  awaitingFirstRead(cycle: Cycle, code: string, outputs: readonly string[]): boolean {
    const st = this.points.get(code);
    if (st === undefined || st.seen || cycle.now - this.ctx.startedAt! >= this.ctx.plan.settings.startupGraceMs) return false;
    return outputs.every((o) => this.ctx.holds.on(o).some((h) => h.key === STARTUP_KEY));
  }

  /** Warm start: cut the power outputs a point without a good fresh reading governs (AQ 6201-2019 fail-safe start). */
  placeWarmHold(cycle: Cycle): void {
    if (!this.warmHoldPending) return;
    this.warmHoldPending = false;
    for (const point of this.ctx.plan.points.values()) {
      const r = cycle.read(point.code);
      if (point.monitored && may('mayRelease', point, r) && r.quality !== 'stale') this.points.get(point.code)!.provenFresh = true;
    }
    const power = [...this.ctx.plan.outputs.values()].filter((o) => o.kind === 'power');
    const unproven = power.filter((o) => !this.proven(o.governing));
    if (unproven.length === 0) return;
    this.ctx.placeHold(
      cycle,
      unproven.map((o) => o.id),
      { rule: 'startup', subject: 'restart', reason: 'config reloaded: waiting for a good fresh reading of every governing point', clause: CLAUSES.startup },
      'cut',
    );
  }

  /** Release the startup hold of each output whose governing points have all been read fresh. */
  release(cycle: Cycle): void {
    const held = this.ctx.holds.outputsOf(STARTUP_KEY);
    if (held.length === 0) return;
    const ready = held.filter((id) => this.proven(this.ctx.plan.outputs.get(id)!.governing));
    if (ready.length === 0) return;
    this.ctx.holds.lift(STARTUP_KEY, ready);
    this.ctx.event(cycle, {
      type: 'release',
      rule: 'startup',
      key: STARTUP_KEY,
      outputs: ready,
      clause: CLAUSES.startup,
      message: `governing points of ${ready.join(', ')} read good since start`,
    });
  }

  private proven(codes: readonly string[]): boolean {
    return codes.every((code) => this.points.get(code)?.provenFresh === true);
  }
}
