// `minegate write` on a register that backs a configured output: the interlock engine owns that
// channel, so the write never goes around it onto the bus. A value that would energise an output
// a rule holds cut is refused with the holds named (as `relay test` refuses); a value equal to
// the engine's decision is a confirmed no-op; any other value would fight the engine and is
// refused with the command that does it properly (relay test, remote cut).
import { requireReason } from '../operators/audit.js';
import { stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';

export interface OutputWriteResult {
  output: string;
  device: string;
  channel: string;
  /** The engine's state of the output, which the write matched (nothing was written). */
  energize: boolean;
  confirmed: boolean | null;
}

export const outputWriteHandler: ControlHandler = {
  command: 'output.write',
  role: 'technician',
  async handle(args, ctx): Promise<OutputWriteResult> {
    ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.write;
    const device = stringArg(args, 'device');
    const channel = stringArg(args, 'channel');
    const reason = requireReason(action, args.reason);
    if (typeof args.value !== 'boolean') throw new ControlError('BAD_REQUEST', `value must be true or false, got ${JSON.stringify(args.value)}`);
    const value = args.value;
    const { gateway } = ctx;
    const target = `${device}.${channel}`;
    const output = gateway.loaded.config.outputs.find((o) => o.device === device && o.channel === channel);
    if (!output) throw new ControlError('UNKNOWN_TARGET', `${target} backs no configured output`);
    const status = gateway.safety.outputs().find((o) => o.id === output.id);
    const holds = gateway.safety.engine.holds().filter((h) => h.output === output.id);
    const before = { output: output.id, energize: status?.energize ?? null, holds: holds.map((h) => h.key) };
    if (value && holds.length > 0) {
      const named = holds.map((h) => `${h.key} (${h.reason})`).join('; ');
      auditRefused(ctx, { action, target, reason, before, detail: `refused: ${output.id} held cut by ${named}` });
      throw new ControlError('OUTPUT_HELD', `${target} is output ${output.id}, held cut by ${named}: a write never energises a held output; clear the cause first`);
    }
    if (status === undefined || status.energize !== value) {
      const state = status === undefined ? 'not decided yet' : status.energize ? 'on' : 'off';
      const how = output.kind === 'power' ? `\`minegate relay test ${output.id}\` pulses it off and back, \`minegate cut\` cuts its zone` : `\`minegate relay test ${output.id}\` pulses it`;
      auditRefused(ctx, { action, target, reason, before, detail: `refused: the interlock engine keeps ${output.id} ${state}` });
      throw new ControlError('ENGINE_OWNED', `${target} is output ${output.id} (${output.kind}), kept ${state} by the interlock engine: a write would fight it (and be undone within a cycle); ${how}`);
    }
    auditDone(ctx, { action, target, reason, before, after: before, outcome: 'ok', detail: `${output.id} already ${value ? 'on' : 'off'} as the interlock engine commands: nothing written` }, `write of ${target} checked`);
    return { output: output.id, device, channel, energize: status.energize, confirmed: status.confirmed };
  },
};
