// Guided interlock test (甲烷电闭锁 / 风电闭锁). The technician raises test gas at a sensor (or
// stops the local fan); the gateway watches its own live state for the expected cut and times it:
// from the reading that showed the condition to the relay module confirming every output of the
// zone off (AQ 6201-2019: cut-off and interlock execution ≤ 2 s), then the load side proven dead
// by its feed sensor where there is one. The session runs in the gateway, so the result is
// recorded even if the CLI goes away; the CLI follows it through `interlock.test.state`.
import { randomBytes } from 'node:crypto';
import type { GatewayView } from '../gateway-view.js';
import { isUsable, type Reading } from '../../core/readings.js';
import type { RuleId } from '../safety/holds.js';
import { enumArg, intArg, optionalIntArg, stringArg } from './args.js';
import type { ControlContext, ControlHandler } from './context.js';
import { ControlError } from './errors.js';
import { INTERLOCK_KINDS, type InterlockKind, type InterlockOutcome, type InterlockTestRecord, INTERLOCK_RECORD_DEFAULTS, interlockTests, recordInterlockTest } from './interlock-records.js';
import { outputsState, type OutputState } from './output-state.js';

export const INTERLOCK_TEST_DEFAULTS = {
  /** AQ 6201-2019: methane over-limit cut-off and methane-wind-power interlock execute within 2 s. */
  limitMs: 2_000,
  /** How long the technician has to apply test gas or stop the fan. */
  waitMs: 300_000,
  /** How often the session looks at the outputs (the timing resolution of "confirmed"). */
  tickMs: 20,
  /** Finished sessions stay readable this long for a CLI that polls late. */
  keepFinishedMs: 600_000,
} as const;

/** What sets the test off: a gas point reaching its cut-off, or a fan's run signal going to 0. */
interface Trigger {
  source: string;
  /** The hold the interlock must place: rule and subject. */
  rule: RuleId;
  subject: string;
  describe: string;
  fires(r: Reading): boolean;
}

export interface InterlockTestPlan {
  session: string;
  zone: string;
  kind: InterlockKind;
  outputs: string[];
  feedPoints: string[];
  limitMs: number;
  waitMs: number;
  steps: string[];
}

export interface InterlockTestState {
  session: string;
  zone: string;
  kind: InterlockKind;
  phase: 'waiting-trigger' | 'waiting-cut' | 'done';
  limitMs: number;
  startedAt: number;
  trigger: { source: string; value: number | null; at: number } | null;
  cutAt: number | null;
  confirmedAt: number | null;
  feedDeadAt: number | null;
  executionMs: number | null;
  outcome: InterlockOutcome | null;
  detail: string | null;
  recordId: number | null;
  outputs: Record<string, OutputState>;
  /** Timing resolution of confirmedAt. */
  resolutionMs: number;
}

class InterlockTestSession {
  readonly id = `ilt-${randomBytes(4).toString('hex')}`;
  private phase: InterlockTestState['phase'] = 'waiting-trigger';
  private readonly startedAt: number;
  private trigger: (InterlockTestState['trigger'] & { by: Trigger }) | null = null;
  private cutAt: number | null = null;
  private confirmedAt: number | null = null;
  private readonly feedDead = new Map<string, number>();
  private feedDeadAt: number | null = null;
  private outcome: InterlockOutcome | null = null;
  private detail: string | null = null;
  private recordId: number | null = null;
  private executionMs: number | null = null;
  private finishedAt = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ControlContext,
    readonly zone: string,
    readonly kind: InterlockKind,
    readonly outputs: string[],
    private readonly triggers: Trigger[],
    readonly feedPoints: string[],
    private readonly feedWaitMs: number,
    readonly limitMs: number,
    readonly waitMs: number,
    private readonly operator: string,
    private readonly reason: string,
  ) {
    this.startedAt = ctx.gateway.clock.wall();
    this.unsubscribe = ctx.onReadings((readings) => this.onReadings(readings));
    this.timer = setInterval(() => this.tick(), INTERLOCK_TEST_DEFAULTS.tickMs);
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  expired(now: number): boolean {
    return this.done && now - this.finishedAt > INTERLOCK_TEST_DEFAULTS.keepFinishedMs;
  }

  state(): InterlockTestState {
    const t = this.trigger;
    return {
      session: this.id,
      zone: this.zone,
      kind: this.kind,
      phase: this.phase,
      limitMs: this.limitMs,
      startedAt: this.startedAt,
      trigger: t ? { source: t.source, value: t.value, at: t.at } : null,
      cutAt: this.cutAt,
      confirmedAt: this.confirmedAt,
      feedDeadAt: this.feedDeadAt,
      executionMs: this.executionMs,
      outcome: this.outcome,
      detail: this.detail,
      recordId: this.recordId,
      outputs: outputsState(this.ctx.gateway, this.outputs),
      resolutionMs: INTERLOCK_TEST_DEFAULTS.tickMs,
    };
  }

  abort(why: string): void {
    if (!this.done) this.finish('aborted', why);
  }

  /** Polling path: only compare a few numbers. */
  private onReadings(readings: readonly Reading[]): void {
    for (const r of readings) {
      if (this.trigger === null) {
        const by = this.triggers.find((t) => t.source === r.point && t.fires(r));
        if (by) {
          this.trigger = { source: by.source, value: r.value, at: r.wallTime, by };
          this.phase = 'waiting-cut';
        }
      } else if (this.feedPoints.includes(r.point) && !this.feedDead.has(r.point) && isUsable(r) && r.value === 0 && r.wallTime >= this.trigger.at) {
        this.feedDead.set(r.point, r.wallTime);
      }
    }
  }

  private tick(): void {
    const gateway = this.ctx.gateway;
    const now = gateway.clock.wall();
    if (this.trigger === null) {
      if (now - this.startedAt > this.waitMs) this.finish('no-trigger', `no ${this.kind === 'methane' ? 'test gas at the cut-off' : 'fan stop'} seen within ${Math.round(this.waitMs / 1000)} s`);
      return;
    }
    const { by, at } = this.trigger;
    if (this.cutAt === null) {
      const hold = gateway.safety.engine.holds().find((h) => this.outputs.includes(h.output) && h.rule === by.rule && h.subject === by.subject);
      if (hold) this.cutAt = hold.sinceWall;
    }
    const state = outputsState(gateway, this.outputs);
    if (this.confirmedAt === null && this.outputs.every((o) => state[o] && !state[o]!.energize && state[o]!.confirmed === true)) this.confirmedAt = now;
    if (this.feedDeadAt === null && this.feedPoints.length > 0 && this.feedPoints.every((p) => this.feedDead.has(p))) this.feedDeadAt = Math.max(...this.feedDead.values());

    const limitText = `limit ${this.limitMs} ms`;
    if (this.confirmedAt !== null && (this.feedPoints.length === 0 || this.feedDeadAt !== null)) {
      this.executionMs = this.confirmedAt - at;
      const feedText = this.feedDeadAt === null ? '' : `; load side dead ${this.feedDeadAt - at} ms after the trigger`;
      if (this.cutAt === null) return this.finish('fail', `zone cut, but not by the ${by.rule} interlock of ${by.subject} (held by: ${Object.values(state).flatMap((s) => s.holds).join(', ')})`);
      const ok = this.executionMs <= this.limitMs;
      return this.finish(ok ? 'pass' : 'fail', `${by.describe}: cut confirmed ${this.executionMs} ms after the trigger reading (${limitText})${feedText}`);
    }
    const late = now - at;
    if (this.confirmedAt === null && late > this.limitMs + this.feedWaitMs) {
      return this.finish('fail', `${by.describe}: zone outputs not confirmed cut ${late} ms after the trigger reading (${limitText})`);
    }
    if (this.confirmedAt !== null && now - this.confirmedAt > this.feedWaitMs) {
      const live = this.feedPoints.filter((p) => !this.feedDead.has(p));
      this.executionMs = this.confirmedAt - at;
      return this.finish('fail', `${by.describe}: relay confirmed cut ${this.executionMs} ms after the trigger, but ${live.join(', ')} still showed the load side live (馈电异常)`);
    }
  }

  private finish(outcome: InterlockOutcome, detail: string): void {
    clearInterval(this.timer);
    this.unsubscribe();
    this.phase = 'done';
    this.outcome = outcome;
    this.detail = detail;
    this.finishedAt = this.ctx.gateway.clock.wall();
    const record: InterlockTestRecord = {
      zone: this.zone,
      kind: this.kind,
      operator: this.operator,
      reason: this.reason,
      startedAt: this.startedAt,
      endedAt: this.finishedAt,
      outcome,
      triggerAt: this.trigger?.at ?? null,
      triggerSource: this.trigger?.source ?? null,
      triggerValue: this.trigger?.value ?? null,
      cutAt: this.cutAt,
      confirmedAt: this.confirmedAt,
      feedDeadAt: this.feedDeadAt,
      executionMs: this.executionMs,
      limitMs: this.limitMs,
      detail,
    };
    try {
      this.recordId = recordInterlockTest(this.ctx.db, record).id ?? null;
    } catch (err) {
      this.detail = `${detail} (NOT recorded: ${(err as Error).message})`;
      this.ctx.log.error({ err: (err as Error).message, zone: this.zone }, 'interlock test result not recorded');
    }
    this.ctx.log.info({ zone: this.zone, kind: this.kind, outcome, executionMs: this.executionMs, operator: this.operator }, `interlock test ${outcome}`);
  }
}

/** The triggers, feed points and steps of a zone's test, or UNKNOWN_TARGET / ZONE_ALREADY_CUT. */
function planTest(gateway: GatewayView, zone: string, kind: InterlockKind, limitMs: number): { outputs: string[]; triggers: Trigger[]; feedPoints: string[]; feedWaitMs: number; steps: string[] } {
  const plan = gateway.safety.engine.plan;
  const outputs = plan.zones.get(zone);
  if (!outputs) throw new ControlError('UNKNOWN_TARGET', `no zone "${zone}" (zones: ${[...plan.zones.keys()].join(', ')})`);
  const where = (code: string): string => {
    const p = gateway.loaded.pointsByCode.get(code);
    return p ? `${code} (${p.name ?? p.location})` : code;
  };
  const outputList = outputs.join(', ');
  const triggers: Trigger[] = [];
  const steps: string[] = [];
  if (kind === 'methane') {
    for (const p of plan.points.values()) {
      const t = p.thresholds;
      if (t?.cutoff === undefined || !p.cutOutputs.some((o) => outputs.includes(o))) continue;
      const cutoff = t.cutoff;
      triggers.push({
        source: p.code,
        rule: 'over-limit',
        subject: p.code,
        describe: `甲烷电闭锁 ${p.code} ≥ ${cutoff} ${t.unit}`,
        fires: (r) => isUsable(r) && r.value! >= cutoff,
      });
      steps.push(`apply test gas of at least ${cutoff} ${t.unit} to ${where(p.code)}`);
    }
    if (triggers.length === 0) throw new ControlError('UNKNOWN_TARGET', `zone "${zone}" has no gas point with a cut-off: there is no 甲烷电闭锁 to test`);
    steps.splice(0, steps.length, `${steps.length > 1 ? 'one of: ' : ''}${steps.join('; or ')}`);
    steps.push(`watch: ${outputList} must be cut within ${limitMs / 1000} s of the reading (AQ 6201-2019)`);
    steps.push('remove the test gas: power returns by itself once the value is below its restore level');
  } else {
    for (const f of plan.fans) {
      if (!f.ventilatedOutputs.some((o) => outputs.includes(o))) continue;
      triggers.push({ source: f.runPoint, rule: 'fan-stopped', subject: f.id, describe: `风电闭锁 local fan ${f.id} stopped`, fires: (r) => isUsable(r) && r.value === 0 });
      steps.push(`stop local fan ${f.id} (run signal ${where(f.runPoint)})`);
    }
    if (triggers.length === 0) throw new ControlError('UNKNOWN_TARGET', `no local fan ventilates zone "${zone}": there is no 风电闭锁 to test`);
    steps.splice(0, steps.length, `${steps.length > 1 ? 'one of: ' : ''}${steps.join('; or ')}`);
    steps.push(`watch: ${outputList} must be cut within ${limitMs / 1000} s of the fan stop signal (AQ 6201-2019)`);
    steps.push('restart the fan: power returns once it runs again (its restart needs CH4 ≤ 0.5 % at the fan and switch)');
  }
  const held = gateway.safety.engine.holds().filter((h) => outputs.includes(h.output));
  if (held.length > 0) {
    throw new ControlError('ZONE_ALREADY_CUT', `zone "${zone}" is already cut by ${[...new Set(held.map((h) => `${h.key} (${h.reason})`))].join('; ')}: clear that first, there is no cut left to observe`);
  }
  const feedPoints = outputs.flatMap((o) => {
    const fp = plan.outputs.get(o)?.feedPoint;
    return fp === undefined ? [] : [fp];
  });
  // The feed sensor proves the cut after the engine's own 馈电 timeout plus one poll of its device.
  const feedWaitMs = Math.max(
    0,
    ...outputs.map((o) => {
      const out = plan.outputs.get(o);
      const device = out?.feedPoint === undefined ? undefined : gateway.loaded.devicesById.get(plan.points.get(out.feedPoint)?.device ?? '');
      return out?.feedPoint === undefined ? 0 : out.feedTimeoutMs + (device?.pollMs ?? 1_000);
    }),
  ) + 1_000;
  return { outputs, triggers, feedPoints, feedWaitMs, steps };
}

export interface InterlockZoneStatus {
  zone: string;
  name: string;
  kind: InterlockKind;
  /** Wall ms of the last passed test; null: never passed. */
  lastPassAt: number | null;
  lastAttempt: { outcome: InterlockOutcome; at: number; executionMs: number | null; operator: string } | null;
  /** Wall ms the next test is due. */
  dueAt: number | null;
  overdue: boolean;
}

/** `interlock.status`: per zone and interlock kind, the last attempt, the last pass and when the next test is due. */
function interlockStatusHandler(): ControlHandler {
  return {
    command: 'interlock.status',
    role: 'viewer',
    handle(_args, ctx): InterlockZoneStatus[] {
      const { gateway } = ctx;
      const plan = gateway.safety.engine.plan;
      const now = gateway.clock.wall();
      const periodMs = INTERLOCK_RECORD_DEFAULTS.periodDays * 86_400_000;
      const rows: InterlockZoneStatus[] = [];
      for (const [zone, outputs] of plan.zones) {
        const name = gateway.loaded.config.zones.find((z) => z.id === zone)?.name ?? zone;
        const kinds: InterlockKind[] = [];
        if ([...plan.points.values()].some((p) => p.thresholds?.cutoff !== undefined && p.cutOutputs.some((o) => outputs.includes(o)))) kinds.push('methane');
        if (plan.fans.some((f) => f.ventilatedOutputs.some((o) => outputs.includes(o)))) kinds.push('fan');
        for (const kind of kinds) {
          const tests = interlockTests(ctx.db, { zone, kind, limit: 200 });
          const last = tests[0];
          const pass = tests.find((t) => t.outcome === 'pass');
          const dueAt = pass ? pass.endedAt + periodMs : null;
          rows.push({
            zone,
            name,
            kind,
            lastPassAt: pass?.endedAt ?? null,
            lastAttempt: last ? { outcome: last.outcome, at: last.endedAt, executionMs: last.executionMs, operator: last.operator } : null,
            dueAt,
            overdue: dueAt === null || now > dueAt,
          });
        }
      }
      return rows;
    },
  };
}

/** The interlock test handlers sharing one set of sessions. */
export function interlockHandlers(): ControlHandler[] {
  const sessions = new Map<string, InterlockTestSession>();
  const sweep = (now: number): void => {
    for (const [id, s] of sessions) if (s.expired(now)) sessions.delete(id);
  };
  const find = (args: Record<string, unknown>): InterlockTestSession => {
    const id = stringArg(args, 'session');
    const s = sessions.get(id);
    if (!s) throw new ControlError('UNKNOWN_TARGET', `no interlock test session "${id}" (finished ones are kept ${INTERLOCK_TEST_DEFAULTS.keepFinishedMs / 60_000} min)`);
    return s;
  };

  const start: ControlHandler = {
    command: 'interlock.test.start',
    role: 'technician',
    handle(args, ctx): InterlockTestPlan {
      const operator = ctx.requireOperator();
      const zone = stringArg(args, 'zone');
      const kind = enumArg(args, 'kind', INTERLOCK_KINDS, 'methane');
      const reason = stringArg(args, 'reason');
      const limitMs = intArg(args, 'limitMs', 100, 60_000, INTERLOCK_TEST_DEFAULTS.limitMs);
      const waitMs = optionalIntArg(args, 'waitMs', 1_000, 3_600_000) ?? INTERLOCK_TEST_DEFAULTS.waitMs;
      sweep(ctx.gateway.clock.wall());
      const running = [...sessions.values()].find((s) => !s.done && s.zone === zone);
      if (running) throw new ControlError('ZONE_ALREADY_CUT', `an interlock test of zone "${zone}" is already running (session ${running.id})`);
      const p = planTest(ctx.gateway, zone, kind, limitMs);
      const session = new InterlockTestSession(ctx, zone, kind, p.outputs, p.triggers, p.feedPoints, p.feedWaitMs, limitMs, waitMs, operator.name, reason);
      sessions.set(session.id, session);
      return { session: session.id, zone, kind, outputs: p.outputs, feedPoints: p.feedPoints, limitMs, waitMs, steps: p.steps };
    },
  };

  const list: ControlHandler = {
    command: 'interlock.test.list',
    role: 'viewer',
    handle: (): InterlockTestState[] => [...sessions.values()].filter((s) => !s.done).map((s) => s.state()),
  };

  const state: ControlHandler = {
    command: 'interlock.test.state',
    role: 'viewer',
    handle: (args) => find(args).state(),
  };

  const abort: ControlHandler = {
    command: 'interlock.test.abort',
    role: 'technician',
    handle(args, ctx): InterlockTestState {
      const s = find(args);
      s.abort(`aborted by ${ctx.requireOperator().name}`);
      return s.state();
    },
    close(): void {
      for (const s of sessions.values()) s.abort('the gateway stopped during the test');
      sessions.clear();
    },
  };

  return [start, list, state, abort, interlockStatusHandler()];
}
