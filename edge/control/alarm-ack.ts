// Acknowledge alarms: silences the siren for every alarm active now (the beacon stays on, and a
// new alarm sounds again). Recorded in the safety events by the engine and in the audit log here.
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { optionalStringArg } from './args.js';
import { auditDone } from './audit-helpers.js';
import type { ControlHandler } from './context.js';

export const ALARM_ACK_DEFAULTS = {
  /** The reason recorded when the technician gives none: what acknowledging does. */
  reason: 'alarms acknowledged at the console (siren silenced, beacon stays on)',
} as const;

export interface AlarmAckResult {
  acknowledged: { key: string; severity: string; message: string }[];
}

export const alarmAckHandler: ControlHandler = {
  command: 'ack',
  role: 'technician',
  async handle(args, ctx): Promise<AlarmAckResult> {
    const operator = ctx.requireOperator();
    const reason = optionalStringArg(args, 'reason') ?? ALARM_ACK_DEFAULTS.reason;
    const { gateway } = ctx;
    const engine = gateway.safety.engine;
    const active = engine.alarms().map((a) => ({ key: a.key, severity: a.severity, message: a.message }));
    await engine.acknowledge(operator.name, gateway.clock.mono());
    auditDone(
      ctx,
      { action: CONTROL_AUDIT_ACTIONS.alarmAck, target: 'alarms', reason, before: { active: active.map((a) => a.key) }, after: { acknowledged: active.map((a) => a.key) }, outcome: 'ok', detail: 'alarm acknowledgement' },
      `${active.length} alarm(s) acknowledged`,
    );
    return { acknowledged: active };
  },
};
