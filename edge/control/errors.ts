// Typed failures of the control channel. Callers (CLI commands, tests) branch on `code`; the
// message is written for the technician. Errors raised by the gateway side travel over the socket
// as { code, message } and come back out of ControlClient as a ControlError with `remote: true`
// and the gateway's own code (e.g. WRONG_AUTHORITY from the engine, bad-credentials from accounts).
import { MinegateError } from '../../core/minegate-error.js';

export type ControlErrorCode =
  /** Nothing answers on <data-dir>/control.sock: no gateway is running there. */
  | 'NO_GATEWAY'
  /** A gateway already answers on this data dir: a second one must not start. */
  | 'GATEWAY_RUNNING'
  /** The socket path is longer than a Unix socket address allows. */
  | 'SOCKET_PATH_TOO_LONG'
  /** The gateway did not answer in time. */
  | 'TIMEOUT'
  /** A line that is not a valid request or response. */
  | 'BAD_REQUEST'
  | 'BAD_RESPONSE'
  | 'UNKNOWN_COMMAND'
  /** A command that needs an operator was sent without credentials. */
  | 'AUTH_REQUIRED'
  /** A relay test on an output that a rule holds cut. */
  | 'OUTPUT_HELD'
  /** An interlock test on a zone whose power is already cut (there is no cut left to observe). */
  | 'ZONE_ALREADY_CUT'
  /** calibrate end on a point not being calibrated, or start on one already being calibrated. */
  | 'NOT_CALIBRATING'
  | 'ALREADY_CALIBRATING'
  /** The action was done but its audit record could not be written (see the gateway log). */
  | 'AUDIT_FAILED'
  /** The named zone, point, output or test does not exist. */
  | 'UNKNOWN_TARGET'
  /** The connection broke before an answer arrived. */
  | 'CONNECTION_LOST'
  /** An error the gateway side did not expect (a bug); its message says what. */
  | 'INTERNAL';

export class ControlError extends MinegateError<ControlErrorCode | (string & {})> {
  override readonly name = 'ControlError';
  constructor(
    /** One of ControlErrorCode, or a code passed through from the gateway (engine, accounts, audit). */
    code: ControlErrorCode | (string & {}),
    message: string,
    /** True when the gateway answered with this error (as opposed to the channel failing). */
    readonly remote = false,
  ) {
    super(code, message);
  }
}
