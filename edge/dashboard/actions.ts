// The few things a logged-in operator may do from the dashboard, each mapped onto the control
// command the CLI sends for it (`minegate ack`, `evacuate ack`, `evacuate stand-down`, `relay
// test`). Nothing here decides who may: the control server checks the role of the command's
// handler and writes the audit record, exactly as for the CLI. What the page adds is that a
// reason is never optional (the CLI's --reason): an action without one is refused here.
import { MinegateError } from '../../core/minegate-error.js';

export interface DashboardAction {
  /** The control command. */
  command: string;
  /** Which request field names the target (an area, an output), if any. */
  target?: 'area' | 'output';
  label: string;
}

export const DASHBOARD_ACTIONS: Readonly<Record<string, DashboardAction>> = {
  ack: { command: 'ack', label: 'acknowledge alarms (siren off, beacon stays)' },
  'evacuate.ack': { command: 'evacuate.ack', target: 'area', label: '叫应 of an area taken at the console' },
  'evacuate.stand-down': { command: 'evacuate.stand-down', label: 'stand the evacuation down' },
  'relay.test': { command: 'relay.test', target: 'output', label: 'pulse-test an output' },
};

export const ACTION_DEFAULTS = {
  /** Shorter than this is not a reason ("x", "ok"). */
  minReasonChars: 3,
  maxReasonChars: 500,
} as const;

/** What the page is told in `error.code`: the request is malformed, names no action, or gives no reason. */
export type ActionRefusedCode = 'BAD_REQUEST' | 'UNKNOWN_ACTION' | 'REASON_REQUIRED';

export class ActionRefused extends MinegateError<ActionRefusedCode> {
  constructor(
    /** The HTTP status the dashboard answers with. */
    readonly status: number,
    code: ActionRefusedCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'ActionRefused';
  }
}

/** A request body → the control command and its args; throws ActionRefused (400) naming what is wrong. */
export function controlRequestOf(body: unknown): { command: string; args: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ActionRefused(400, 'BAD_REQUEST', 'the action must be a JSON object');
  const { action, reason, target } = body as Record<string, unknown>;
  const def = typeof action === 'string' && Object.hasOwn(DASHBOARD_ACTIONS, action) ? DASHBOARD_ACTIONS[action] : undefined;
  if (!def) throw new ActionRefused(400, 'UNKNOWN_ACTION', `unknown action ${JSON.stringify(action)} (known: ${Object.keys(DASHBOARD_ACTIONS).join(', ')})`);
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text.length < ACTION_DEFAULTS.minReasonChars) throw new ActionRefused(400, 'REASON_REQUIRED', `a reason is required (at least ${ACTION_DEFAULTS.minReasonChars} characters): say why, it goes into the audit log`);
  if (text.length > ACTION_DEFAULTS.maxReasonChars) throw new ActionRefused(400, 'BAD_REQUEST', `the reason is longer than ${ACTION_DEFAULTS.maxReasonChars} characters`);
  const args: Record<string, unknown> = { reason: text };
  if (def.target) {
    if (typeof target !== 'string' || target.trim() === '') throw new ActionRefused(400, 'BAD_REQUEST', `${String(action)} needs a target ${def.target}`);
    args[def.target] = target.trim();
  }
  return { command: def.command, args };
}

/** HTTP status for a control error code the gateway answered with. */
export function httpStatusOf(code: string): number {
  if (code === 'AUTH_REQUIRED' || code === 'bad-credentials' || code === 'no-operators') return 401;
  if (code === 'insufficient-role') return 403;
  if (code === 'NO_GATEWAY' || code === 'TIMEOUT' || code === 'CONNECTION_LOST') return 503;
  if (code === 'INTERNAL') return 500;
  return 409;
}
