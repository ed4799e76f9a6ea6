// Relay test: pulse one output through the safety loop's own actuator path (never a second writer
// on the relay bus) and report whether the module confirmed both the pulse and the hand-back.
// An output that any rule holds cut is refused with the holds named: a test never energises it.
import { requireReason } from '../operators/audit.js';
import { SafetyCommandError } from '../safety/errors.js';
import { SAFETY_LOOP_DEFAULTS, type TestPulseResult } from '../safety/safety-loop.js';
import { intArg, stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';

export const RELAY_TEST_DEFAULTS = { pulseMs: 500 } as const;

export interface RelayTestResult extends TestPulseResult {
  device: string;
  channel: string;
  /** Both the pulse and the hand-back were read back from the module. */
  confirmed: boolean;
}

export const relayTestHandler: ControlHandler = {
  command: 'relay.test',
  role: 'technician',
  async handle(args, ctx): Promise<RelayTestResult> {
    ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.relayTest;
    const outputId = stringArg(args, 'output');
    const reason = requireReason(action, args.reason);
    const pulseMs = intArg(args, 'pulseMs', SAFETY_LOOP_DEFAULTS.minPulseMs, SAFETY_LOOP_DEFAULTS.maxPulseMs, RELAY_TEST_DEFAULTS.pulseMs);
    const { gateway } = ctx;
    const output = gateway.loaded.config.outputs.find((o) => o.id === outputId);
    if (!output) {
      const known = gateway.loaded.config.outputs.map((o) => o.id).join(', ');
      auditRefused(ctx, { action, target: `output:${outputId}`, reason, detail: `no output "${outputId}"` });
      throw new ControlError('UNKNOWN_TARGET', `no output "${outputId}" (outputs: ${known})`);
    }
    const target = `${output.device}.${output.channel}`;
    const status = gateway.safety.outputs().find((o) => o.id === outputId);
    const before = status ? { output: outputId, energize: status.energize, confirmed: status.confirmed, holds: status.holds } : { output: outputId };
    const holds = gateway.safety.engine.holds().filter((h) => h.output === outputId);
    if (holds.length > 0) {
      const named = holds.map((h) => `${h.key} (${h.reason})`).join('; ');
      auditRefused(ctx, { action, target, reason, before, detail: `refused: held cut by ${named}` });
      throw new ControlError('OUTPUT_HELD', `${outputId} is held cut by ${named}: a relay test never energises a held output; clear the cause first`);
    }
    let result: TestPulseResult;
    try {
      result = await gateway.safety.testPulse(outputId, pulseMs);
    } catch (err) {
      if (err instanceof SafetyCommandError) auditRefused(ctx, { action, target, reason, before, detail: `refused: ${err.message}` });
      throw err;
    }
    const confirmed = result.pulse.confirmed && result.handBack.confirmed;
    auditDone(
      ctx,
      {
        action,
        target,
        reason,
        before,
        after: { output: outputId, pulsedTo: result.pulsedTo, pulseMs, pulseConfirmed: result.pulse.confirmed, handBackConfirmed: result.handBack.confirmed },
        outcome: confirmed ? 'ok' : 'failed',
        detail: `relay test of ${outputId}: ${result.pulsedTo ? 'energised' : 'cut'} for ${pulseMs} ms${confirmed ? ', confirmed' : `, NOT confirmed (${result.pulse.error ?? result.handBack.error ?? 'read-back mismatch'})`}`,
      },
      `relay test of ${outputId} done`,
    );
    return { ...result, device: output.device, channel: output.channel, confirmed };
  },
};
