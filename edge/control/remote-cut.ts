// 异地断电: `cut` places a remote cut on a zone through the interlock engine (it expires on its
// own), `cut.release` lifts it — only under the authority that ordered it, which the engine
// enforces. Both wait (asynchronously) for the relay module to confirm the new state.
import { randomBytes } from 'node:crypto';
import { requireReason } from '../operators/audit.js';
import { SafetyCommandError } from '../safety/errors.js';
import { holdKey } from '../safety/holds.js';
import { intArg, optionalStringArg, stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { isCutConfirmed, type OutputState, outputsState, waitForOutputs } from './output-state.js';

export const REMOTE_CUT_DEFAULTS = {
  /** Authority recorded when none is named: an order given at the substation console. */
  authority: 'local',
  /** How long a command waits for the relay module to confirm (2 patrol-free seconds plus margin). */
  confirmWithinMs: 3_000,
} as const;

export interface RemoteCutResult {
  id: string;
  zone: string;
  outputs: string[];
  authority: string;
  durationMs: number;
  expiresWall: number;
  /** The relay module confirmed every output of the zone cut within confirmWithinMs. */
  confirmed: boolean;
  state: Record<string, OutputState>;
}

export interface RemoteReleaseResult {
  id: string;
  outputs: string[];
  authority: string;
  confirmed: boolean;
  /** Outputs still cut by other holds after the release. */
  stillHeld: Record<string, string[]>;
  state: Record<string, OutputState>;
}

export const remoteCutHandler: ControlHandler = {
  command: 'cut',
  role: 'technician',
  async handle(args, ctx): Promise<RemoteCutResult> {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.remoteCut;
    const zone = stringArg(args, 'zone');
    const reason = requireReason(action, args.reason);
    const durationMs = intArg(args, 'durationMs', 1, Number.MAX_SAFE_INTEGER);
    const authority = optionalStringArg(args, 'authority') ?? REMOTE_CUT_DEFAULTS.authority;
    const { gateway } = ctx;
    const engine = gateway.safety.engine;
    const id = optionalStringArg(args, 'id') ?? newCutId(gateway.clock.wall());
    const outputs = engine.plan.zones.get(zone) ?? [];
    const target = `zone:${zone}`;
    const before = outputsState(gateway, outputs);
    try {
      await engine.remoteCut({ id, zones: [zone], authority, operator: operator.name, reason, durationMs }, gateway.clock.mono());
    } catch (err) {
      if (err instanceof SafetyCommandError) auditRefused(ctx, { action, target, reason, before, detail: `remote cut (异地断电) refused: ${err.message}` });
      throw err;
    }
    const confirmed = await waitForOutputs(gateway, outputs, isCutConfirmed, REMOTE_CUT_DEFAULTS.confirmWithinMs);
    const state = outputsState(gateway, outputs);
    auditDone(
      ctx,
      {
        action,
        target,
        reason,
        before,
        after: { remoteCut: { id, authority, durationMs }, outputs: state },
        outcome: confirmed ? 'ok' : 'failed',
        detail: `remote cut (异地断电) ${id} under authority ${authority}${confirmed ? '' : `: not confirmed by the relay module within ${REMOTE_CUT_DEFAULTS.confirmWithinMs} ms`}`,
      },
      `remote cut ${id} placed on ${zone}`,
    );
    return { id, zone, outputs, authority, durationMs, expiresWall: gateway.clock.wall() + durationMs, confirmed, state };
  },
};

export const remoteReleaseHandler: ControlHandler = {
  command: 'cut.release',
  role: 'safety-officer',
  async handle(args, ctx): Promise<RemoteReleaseResult> {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.remoteCutRelease;
    const id = stringArg(args, 'id');
    const reason = requireReason(action, args.reason);
    const authority = optionalStringArg(args, 'authority') ?? REMOTE_CUT_DEFAULTS.authority;
    const { gateway } = ctx;
    const engine = gateway.safety.engine;
    const cut = engine.activeRemoteCuts().find((c) => c.id === id);
    const outputs = cut?.outputs ?? [];
    const target = `remote-cut:${id}`;
    const before = { remoteCut: cut ?? null, outputs: outputsState(gateway, outputs) };
    try {
      await engine.remoteRelease({ id, authority, operator: operator.name }, gateway.clock.mono());
    } catch (err) {
      if (err instanceof SafetyCommandError) auditRefused(ctx, { action, target, reason, before, detail: `remote release refused: ${err.message}` });
      throw err;
    }
    const key = holdKey('remote-cut', id);
    const confirmed = await waitForOutputs(gateway, outputs, (s) => !s.holds.includes(key) && s.confirmed === true, REMOTE_CUT_DEFAULTS.confirmWithinMs);
    const state = outputsState(gateway, outputs);
    const stillHeld = Object.fromEntries(Object.entries(state).filter(([, s]) => s.holds.length > 0).map(([o, s]) => [o, s.holds]));
    auditDone(
      ctx,
      { action, target, reason, before, after: { remoteCut: null, outputs: state }, outcome: 'ok', detail: `remote cut ${id} released under authority ${authority}` },
      `remote cut ${id} released`,
    );
    return { id, outputs, authority, confirmed, stillHeld, state };
  },
};

/** e.g. "cut-20260110-080000-3fa2": sortable, readable over a radio, unique while active. */
function newCutId(wall: number): string {
  const t = new Date(wall).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `cut-${t}-${randomBytes(2).toString('hex')}`;
}

