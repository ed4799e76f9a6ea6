// Remote cut-off (异地断电, CLAUSES.remoteCut, AQ 6201-2019 §4.7.5): an authority orders zones or
// outputs cut for a bounded time; only the same authority may release it early, and it expires on
// its own. The order, its refusal, release and expiry are all on record with who and why.
import { CLAUSES } from '../clauses.js';
import type { RemoteCutCommand, RemoteReleaseCommand } from '../engine-types.js';
import { SafetyCommandError } from '../errors.js';
import { holdKey } from '../holds.js';
import { type Cycle, type RestoredHold, type RuleContext, type SafetyRule, strOrUndef } from '../rule-context.js';

interface RemoteCut {
  id: string;
  outputs: string[];
  authority: string;
  operator: string;
  reason: string;
  expiresAt: number;
}

export interface ActiveRemoteCut {
  id: string;
  outputs: string[];
  authority: string;
  operator: string;
  reason: string;
  remainingMs: number;
}

export class RemoteCutRule implements SafetyRule {
  readonly holdRules = ['remote-cut'] as const;
  private readonly cuts = new Map<string, RemoteCut>();

  constructor(private readonly ctx: RuleContext) {}

  /** A cut whose time ran out while the gateway was down is over; the rest resume for what remains. */
  restore(cycle: Cycle, hold: RestoredHold): boolean {
    const { first, outputs, key } = hold;
    const remaining = (first.expiresWall ?? 0) - cycle.wallNow;
    if (remaining <= 0) {
      this.ctx.event(cycle, { type: 'remote-expired', rule: 'remote-cut', key, outputs, operator: first.operator, authority: first.authority, clause: CLAUSES.remoteCut, message: `remote cut "${first.subject}" expired while the gateway was down` });
      return true;
    }
    this.cuts.set(first.subject, { id: first.subject, outputs, authority: first.authority ?? '', operator: first.operator ?? '', reason: first.reason, expiresAt: cycle.now + remaining });
    hold.placeBack(outputs, { expiresAt: cycle.now + remaining, expiresWall: first.expiresWall! });
    return true;
  }

  /** Expire the cuts whose time is up (every cycle, first). */
  evaluate(cycle: Cycle): void {
    for (const cut of [...this.cuts.values()]) {
      if (cycle.now < cut.expiresAt) continue;
      this.end(cycle, cut, 'remote-expired', cut.operator, `remote cut "${cut.id}" (${cut.authority}) expired`);
    }
  }

  active(): ActiveRemoteCut[] {
    const now = this.ctx.lastNow;
    return [...this.cuts.values()].map((c) => ({ id: c.id, outputs: [...c.outputs], authority: c.authority, operator: c.operator, reason: c.reason, remainingMs: c.expiresAt - now }));
  }

  /** Cut zones/outputs on a remote order. Throws SafetyCommandError (nothing changes) when refused. */
  cut(cmd: RemoteCutCommand, now: number): void {
    const cycle = this.ctx.commandCycle(now);
    const settings = this.ctx.plan.settings.remoteCut;
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.ctx.event(cycle, { type: 'remote-refused', rule: 'remote-cut', operator: strOrUndef(cmd?.operator), authority: strOrUndef(cmd?.authority), reason: message, message: `remote cut refused: ${message}` });
      this.ctx.flushCommand();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd !== 'object') return refuse('INVALID_COMMAND', 'no command');
    for (const field of ['id', 'authority', 'operator', 'reason'] as const) {
      if (typeof cmd[field] !== 'string' || cmd[field].trim() === '') refuse('INVALID_COMMAND', `${field} must be a non-empty string, got ${JSON.stringify(cmd[field])}`);
    }
    if (!Number.isInteger(cmd.durationMs) || cmd.durationMs <= 0 || cmd.durationMs > settings.maxDurationMs) {
      refuse('INVALID_COMMAND', `durationMs must be a positive integer up to ${settings.maxDurationMs}, got ${String(cmd.durationMs)}`);
    }
    if (settings.authorities.length > 0 && !settings.authorities.includes(cmd.authority)) {
      refuse('UNKNOWN_AUTHORITY', `authority "${cmd.authority}" may not order remote cuts (allowed: ${settings.authorities.join(', ')})`);
    }
    if (this.cuts.has(cmd.id)) refuse('DUPLICATE_COMMAND', `remote cut "${cmd.id}" is already active`);
    const outputs: string[] = [];
    for (const zone of cmd.zones ?? []) {
      const ids = this.ctx.plan.zones.get(zone);
      if (!ids) refuse('UNKNOWN_TARGET', `no zone "${zone}"`);
      else outputs.push(...ids);
    }
    for (const id of cmd.outputs ?? []) {
      if (this.ctx.plan.outputs.get(id)?.kind !== 'power') refuse('UNKNOWN_TARGET', `no power output "${id}"`);
      outputs.push(id);
    }
    const targets = [...new Set(outputs)];
    if (targets.length === 0) refuse('INVALID_COMMAND', 'a remote cut needs at least one zone or output');

    const wallNow = cycle.wallNow;
    const cut: RemoteCut = { id: cmd.id, outputs: targets, authority: cmd.authority, operator: cmd.operator, reason: cmd.reason, expiresAt: now + cmd.durationMs };
    this.cuts.set(cmd.id, cut);
    this.ctx.holds.place(
      targets,
      { rule: 'remote-cut', subject: cmd.id, reason: cmd.reason, clause: CLAUSES.remoteCut, operator: cmd.operator, authority: cmd.authority, expiresAt: cut.expiresAt, expiresWall: wallNow + cmd.durationMs },
      now,
      wallNow,
    );
    this.ctx.event(cycle, {
      type: 'remote-cut',
      rule: 'remote-cut',
      key: holdKey('remote-cut', cmd.id),
      outputs: targets,
      operator: cmd.operator,
      authority: cmd.authority,
      reason: cmd.reason,
      clause: CLAUSES.remoteCut,
      message: `remote cut "${cmd.id}" by ${cmd.operator} (${cmd.authority}) for ${Math.round(cmd.durationMs / 1000)} s: ${cmd.reason}`,
    });
    this.ctx.flushCommand();
  }

  /** Release a remote cut: only the authority that ordered it may. */
  release(cmd: RemoteReleaseCommand, now: number): void {
    const cycle = this.ctx.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.ctx.event(cycle, { type: 'remote-refused', rule: 'remote-cut', operator: strOrUndef(cmd?.operator), authority: strOrUndef(cmd?.authority), reason: message, message: `remote release refused: ${message}` });
      this.ctx.flushCommand();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.id !== 'string' || typeof cmd.authority !== 'string' || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') {
      return refuse('INVALID_COMMAND', 'id, authority and operator are required');
    }
    const cut = this.cuts.get(cmd.id);
    if (!cut) return refuse('UNKNOWN_COMMAND', `no active remote cut "${cmd.id}"`);
    if (cut.authority !== cmd.authority) return refuse('WRONG_AUTHORITY', `remote cut "${cmd.id}" was ordered by "${cut.authority}"; "${cmd.authority}" may not release it`);
    this.end(cycle, cut, 'remote-release', cmd.operator, `remote cut "${cmd.id}" released by ${cmd.operator} (${cmd.authority})`);
    this.ctx.flushCommand();
  }

  /** A cut is over (expired, or released by its own authority): forget it and lift its holds, on record. */
  private end(cycle: Cycle, cut: RemoteCut, type: 'remote-expired' | 'remote-release', operator: string, message: string): void {
    this.cuts.delete(cut.id);
    this.ctx.liftHoldAs(cycle, 'remote-cut', cut.id, { type, operator, authority: cut.authority, clause: CLAUSES.remoteCut, message });
  }
}
