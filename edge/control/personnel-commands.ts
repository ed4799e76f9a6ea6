// Personnel commands at the console: start an evacuation of areas, stand it down, give the 叫应
// (acknowledge an area's evacuation on behalf of its responsible person), and clear the alarms that
// need a person to deal with them (SOS, cloned card). The PersonnelEngine decides and refuses
// (its evacuation.operators list included); these handlers only check the role, audit and report.
import type { PersonnelCapability } from '../personnel/personnel-capability.js';
import type { EvacuationView } from '../personnel/engine.js';
import { PersonnelCommandError } from '../personnel/errors.js';
import { requireReason } from '../operators/audit.js';
import type { GatewayView } from '../gateway-view.js';
import { stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlContext, ControlHandler } from './context.js';
import { ControlError } from './errors.js';

/** The running personnel capability, or ControlError UNKNOWN_TARGET naming what is missing. */
export function personnelOf(gateway: GatewayView): PersonnelCapability {
  const cap = gateway.capabilityList().find((c) => c.name === 'personnel') as PersonnelCapability | undefined;
  if (!cap) throw new ControlError('UNKNOWN_TARGET', `this gateway runs no personnel positioning (${gateway.loaded.file} has no personnel section)`);
  return cap;
}

function areasArg(args: Record<string, unknown>): string[] {
  const v = args.areas;
  if (!Array.isArray(v) || v.length === 0 || v.some((a) => typeof a !== 'string' || a.trim() === '')) {
    throw new ControlError('BAD_REQUEST', `areas must be a non-empty list of area ids, got ${JSON.stringify(v)}`);
  }
  return v.map((a: string) => a.trim());
}

/** Run an engine command; a refusal is audited as refused and goes back with the engine's code. */
function refusable<T>(ctx: ControlContext, entry: Parameters<typeof auditRefused>[1], fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PersonnelCommandError) auditRefused(ctx, { ...entry, detail: `${entry.detail}: refused: ${err.message}` });
    throw err;
  }
}

export const evacuateStartHandler: ControlHandler = {
  command: 'evacuate.start',
  // Starting an evacuation must never be harder than it needs to be: any technician on duty.
  role: 'technician',
  handle(args, ctx): EvacuationView {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.evacuationStart;
    const areas = areasArg(args);
    const reason = requireReason(action, args.reason);
    const engine = personnelOf(ctx.gateway).engine;
    const before = engine.evacuation();
    const target = `areas:${areas.join(',')}`;
    const view = refusable(ctx, { action, target, reason, before, detail: 'manual evacuation' }, () => engine.startEvacuation({ areas, reason, source: 'manual', by: operator.name }));
    auditDone(ctx, { action, target, reason, before, after: { id: view.id, areas: view.areas.map((a) => a.area), insideCount: view.insideCount }, outcome: 'ok', detail: `manual evacuation ${view.id}` }, `evacuation ${view.id} started`);
    return view;
  },
};

export const evacuateStandDownHandler: ControlHandler = {
  command: 'evacuate.stand-down',
  // Ending an evacuation sends people back towards the danger: a safety officer decides.
  role: 'safety-officer',
  handle(args, ctx): { id: string; areas: string[]; insideCount: number } {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.evacuationStandDown;
    const reason = requireReason(action, args.reason);
    const engine = personnelOf(ctx.gateway).engine;
    const before = engine.evacuation();
    const target = `evacuation:${before?.id ?? 'none'}`;
    refusable(ctx, { action, target, reason, before, detail: 'stand-down' }, () => engine.endEvacuation({ by: operator.name, reason, source: 'manual' }));
    const result = { id: before!.id, areas: before!.areas.map((a) => a.area), insideCount: before!.insideCount };
    auditDone(ctx, { action, target, reason, before: { id: result.id, areas: result.areas, insideCount: result.insideCount }, after: { evacuation: null }, outcome: 'ok', detail: `evacuation ${result.id} stood down` }, `evacuation ${result.id} stood down`);
    return result;
  },
};

export const evacuateAckHandler: ControlHandler = {
  command: 'evacuate.ack',
  role: 'technician',
  handle(args, ctx): { area: string; acknowledged: boolean; by: string } {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.evacuationAck;
    const area = stringArg(args, 'area');
    // The 叫应 reached the console by phone or radio: what was said is the reason.
    const reason = requireReason(action, args.reason ?? `叫应 of ${area} taken at the console`);
    const engine = personnelOf(ctx.gateway).engine;
    const target = `area:${area}`;
    const fresh = refusable(ctx, { action, target, reason, detail: '叫应 by an operator' }, () => engine.acknowledge(area, operator.name, 'button'));
    auditDone(ctx, { action, target, reason, after: { acknowledged: true, already: !fresh }, outcome: 'ok', detail: fresh ? '叫应 recorded' : 'area was already acknowledged' }, `叫应 of ${area} recorded`);
    return { area, acknowledged: fresh, by: operator.name };
  },
};

export const alarmClearHandler: ControlHandler = {
  command: 'alarm.clear',
  role: 'technician',
  handle(args, ctx): { id: string; cleared: true } {
    const operator = ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.alarmClear;
    const id = stringArg(args, 'id');
    const reason = requireReason(action, args.reason);
    const engine = personnelOf(ctx.gateway).engine;
    const before = engine.alarms().find((a) => a.key === id) ?? null;
    const target = `alarm:${id}`;
    refusable(ctx, { action, target, reason, before, detail: 'clear alarm' }, () => engine.clearAlarm(id, operator.name));
    auditDone(ctx, { action, target, reason, before, after: { open: false }, outcome: 'ok', detail: `${before?.kind ?? 'alarm'} cleared` }, `alarm ${id} cleared`);
    return { id, cleared: true };
  },
};

export const personnelCommandHandlers: readonly ControlHandler[] = [evacuateStartHandler, evacuateStandDownHandler, evacuateAckHandler, alarmClearHandler];
