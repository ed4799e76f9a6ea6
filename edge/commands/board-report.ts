// After a board parameter was written: the audit record of each change (who, why, before and
// after), the printed result, and the config edit it calls for (made with --update-config).
import { BoardParamError, type ParamChange } from '../../drivers/board-params.js';
import type { AuditAction } from '../operators/audit.js';
import type { CliSession } from '../operators/cli-session.js';
import type { ChangeOptions, DeviceLink } from './board-link.js';
import { applyEdit, type ConfigEdit, linkEdit } from './config-edit.js';
import { out } from './output.js';

function describeChange(device: string, c: ParamChange): string {
  const where = c.unitAfter !== c.unitBefore ? ` (read back at unit ${c.unitAfter})` : '';
  const status = c.verified ? 'verified' : `NOT VERIFIED: ${c.note ?? ''}`;
  return `${device}.${c.param}: ${c.before} → ${c.after ?? '?'} (asked ${c.requested})${where}: ${status}`;
}

export function actionOf(param: string): AuditAction {
  // Zero and span are what a calibration changes; the audit log names it as such.
  return param === 'zero' || param === 'span' ? 'calibration' : 'board-param';
}

/** Record a change refused before anything was written (range, step, address in use), then rethrow. */
export async function auditRefusal<T>(session: CliSession, target: string, action: AuditAction, reason: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BoardParamError) session.record({ action, target, reason, outcome: 'refused', detail: err.message });
    throw err;
  }
}

/** Audit, print and follow through on the changes of one `board set/apply` or param `write`. */
export function reportChanges(link: DeviceLink, changes: ParamChange[], session: CliSession, reason: string, o: ChangeOptions, action?: AuditAction): boolean {
  const edits: { edit: ConfigEdit; updated: boolean; warning: string; error?: string }[] = [];
  for (const c of changes) {
    const follow = linkEdit(link, c);
    let updated = false;
    let error: string | undefined;
    if (follow && o.updateConfig) {
      try {
        applyEdit(follow.edit, follow.path);
        updated = true;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (follow) edits.push({ edit: follow.edit, updated, warning: follow.warning, ...(error ? { error } : {}) });
    const editNote = follow ? `; config ${follow.edit.file}:${follow.edit.line} ${follow.edit.path} ${follow.edit.from ?? '(unset)'} → ${follow.edit.to}${updated ? ' (updated)' : ' (to do)'}` : '';
    session.record({
      action: action ?? actionOf(c.param),
      target: `${link.device.id}.${c.param}`,
      reason,
      before: { value: c.before, unit: c.unitBefore },
      after: { value: c.after, unit: c.unitAfter, verified: c.verified },
      outcome: c.verified ? 'ok' : 'failed',
      detail: `${c.note ?? 'verified by read-back'}${editNote}`,
    });
  }
  const ok = changes.every((c) => c.verified) && edits.every((e) => !e.error);
  if (o.json) {
    out(JSON.stringify({ device: link.device.id, changes, configEdits: edits }));
  } else {
    for (const c of changes) out(describeChange(link.device.id, c));
    for (const e of edits) {
      const where = `${e.edit.file}:${e.edit.line}:${e.edit.column}`;
      if (e.edit.manual) out(`config edit needed: ${where} ${e.edit.manual}`);
      else out(`config edit: ${where} ${e.edit.path}: ${e.edit.from} → ${e.edit.to}${e.updated ? ' — updated, comments kept; reload the gateway' : ' — edit it, or rerun with --update-config'}`);
      if (e.error) out(`config NOT updated: ${e.error}`);
      out(`warning: ${e.warning}`);
    }
  }
  return ok;
}
