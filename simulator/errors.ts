// Typed errors of the simulator: callers (tests, the CLI) branch on `code`, not on message text.

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
  /** A call that needs a started (or stopped) simulator. */
  | 'bad-state'
  /** advanceTo() to a time before the current scenario time. */
  | 'time-backwards';

export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/** One problem in a scenario file, located for a human (line/column, 1-based) and for code (path). */
export interface ScenarioIssue {
  /** Dotted field path, e.g. "buses.0.devices.2.profile"; "" for the whole document. */
  path: string;
  line: number;
  column: number;
  message: string;
}

export type ScenarioErrorCode = 'scenario-unreadable' | 'scenario-syntax' | 'scenario-invalid';

/** A scenario file that cannot be used. The message lists every issue as file:line:column: path: problem. */
export class ScenarioError extends Error {
  constructor(
    readonly code: ScenarioErrorCode,
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(issues.map((i) => `${file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}
