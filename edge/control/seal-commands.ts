// `seal.mode`: switch a shaft mouth between producing and stopped (停产) at runtime. Stopped mode
// changes what the electronic seal alarms on (any crossing, any power use), so it is a safety
// officer's call, with a reason; the SealEngine persists the mode and the change.
import { SEAL_MODES, type SealMode } from '../../board-configs/seal-schema.js';
import type { GatewayView } from '../gateway-view.js';
import { requireReason } from '../operators/audit.js';
import type { SealCapability } from '../seals/seal-capability.js';
import { enumArg, stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';

export interface SealModeResult {
  shaftMouth: string;
  mode: SealMode;
  /** False when the shaft mouth already was in that mode (nothing recorded by the engine). */
  changed: boolean;
}

function sealsOf(gateway: GatewayView): SealCapability {
  const cap = gateway.capabilityList().find((c) => c.name === 'seals') as SealCapability | undefined;
  if (!cap) throw new ControlError('UNKNOWN_TARGET', `this gateway runs no electronic seals (${gateway.loaded.file} has no seals section)`);
  return cap;
}

export const sealModeHandler: ControlHandler = {
  command: 'seal.mode',
  role: 'safety-officer',
  handle(args, ctx): SealModeResult {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.sealMode;
    const shaftMouth = stringArg(args, 'shaftMouth');
    const mode = enumArg(args, 'mode', SEAL_MODES);
    const reason = requireReason(action, args.reason);
    const engine = sealsOf(ctx.gateway).engine;
    const mouths = engine.state().shaftMouths;
    const before = mouths.find((m) => m.id === shaftMouth);
    if (!before) throw new ControlError('UNKNOWN_TARGET', `no shaft mouth "${shaftMouth}" (shaft mouths: ${mouths.map((m) => m.id).join(', ')})`);
    const changed = engine.setMode(shaftMouth, mode, { operator: operator.name, reason });
    auditDone(
      ctx,
      { action, target: `shaft-mouth:${shaftMouth}`, reason, before: { mode: before.mode }, after: { mode }, outcome: 'ok', detail: changed ? `seal mode ${before.mode} → ${mode}` : `already ${mode}` },
      `${shaftMouth} set to ${mode}`,
    );
    return { shaftMouth, mode, changed };
  },
};
