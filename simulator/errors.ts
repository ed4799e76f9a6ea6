// Typed errors of the simulator: callers (tests, the CLI) branch on `code`, not on message text.
import { type ConfigIssue, formatIssue, sortIssues } from '../core/config-error.js';
import { MinegateError } from '../core/minegate-error.js';

export type SimulatorErrorCode =
  /** A channel name that the device's profile does not define. */
  | 'unknown-channel'
  /** A board parameter name that the device's profile does not define. */
  | 'unknown-param'
  /** A value the channel's register type cannot hold (after scaling), or not a number/boolean. */
  | 'not-encodable'
  /** A parameter value outside the profile's min..max. */
  | 'param-out-of-range'
  /** A status flag the device's profile has no bit for. */
  | 'status-not-supported'
  /** No bus with that id in the scenario. */
  | 'unknown-bus'
  /** No device answering on that unit id on the bus. */
  | 'unknown-device'
  /** The device does not follow another device's channel. */
  | 'not-a-follower'
  /** An rtu-pty bus needs socat, which is not installed. */
  | 'socat-missing'
  /** A bus could not be served (port in use, PTY not openable). */
  | 'listen-failed'
  /** A call that needs a started (or stopped) simulator. */
  | 'bad-state'
  /** advanceTo() to a time before the current scenario time. */
  | 'time-backwards';

export class SimulatorError extends MinegateError<SimulatorErrorCode> {
  constructor(
    code: SimulatorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
    this.name = 'SimulatorError';
  }
}

export type ScenarioErrorCode = 'SCENARIO_NOT_FOUND' | 'SCENARIO_INVALID';

/**
 * A scenario file that cannot be used. Issues have the same shape (and printed form) as board-config
 * issues: file:line:column, field path, message; every problem at once, in reading order.
 */
export class ScenarioError extends MinegateError<ScenarioErrorCode> {
  /** The scenario file concerned (always named). */
  declare readonly file: string;
  readonly issues: ConfigIssue[];

  constructor(code: ScenarioErrorCode, file: string, issues: readonly ConfigIssue[]) {
    const sorted = sortIssues(issues);
    super(code, sorted.map(formatIssue).join('\n'), { file });
    this.name = 'ScenarioError';
    this.issues = sorted;
  }
}
