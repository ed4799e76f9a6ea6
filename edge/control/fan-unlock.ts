// Manual unlock of a local fan's lock (interlock clause e: "only by password software or a special
// tool"). The engine refuses while the lock condition still holds (fan stopped, CH4 above the
// lock limit) and unless the operator is listed in safety.unlockOperators; this handler adds the
// account check (safety officer), the written reason and the audit record.
import { requireReason } from '../operators/audit.js';
import { SafetyCommandError } from '../safety/errors.js';
import { stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';
import { type OutputState, outputsState } from './output-state.js';

export interface FanUnlockResult {
  fan: string;
  locked: boolean;
  /** The fan's own output: still held (e.g. by the restart permit) or free. */
  fanOutput: Record<string, OutputState>;
}

export const fanUnlockHandler: ControlHandler = {
  command: 'fan.unlock',
  role: 'safety-officer',
  async handle(args, ctx): Promise<FanUnlockResult> {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.fanUnlock;
    const fanId = stringArg(args, 'fan');
    const reason = requireReason(action, args.reason);
    const { gateway } = ctx;
    const engine = gateway.safety.engine;
    const fan = engine.plan.fans.find((f) => f.id === fanId);
    const target = `fan:${fanId}`;
    if (!fan) {
      const known = engine.plan.fans.map((f) => f.id).join(', ') || 'none configured';
      auditRefused(ctx, { action, target, reason, detail: `no local fan "${fanId}"` });
      throw new ControlError('UNKNOWN_TARGET', `no local fan "${fanId}" (local fans: ${known})`);
    }
    const outputs = fan.fanOutput === undefined ? [] : [fan.fanOutput];
    const before = { locked: engine.fanLocked(fanId), outputs: outputsState(gateway, outputs) };
    try {
      await engine.manualUnlock({ fan: fanId, operator: operator.name }, gateway.clock.mono());
    } catch (err) {
      if (err instanceof SafetyCommandError) auditRefused(ctx, { action, target, reason, before, detail: `fan unlock refused: ${err.message}` });
      throw err;
    }
    const after = { locked: engine.fanLocked(fanId) };
    auditDone(ctx, { action, target, reason, before, after, outcome: 'ok', detail: `fan lock of ${fanId} released by hand` }, `fan lock of ${fanId} released`);
    return { fan: fanId, locked: after.locked, fanOutput: outputsState(gateway, outputs) };
  },
};
