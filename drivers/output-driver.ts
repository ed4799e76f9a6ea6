// One interface for every output device the safety loop drives: Modbus relay module coils
// (drivers/relay-module.ts) and Firmata board pins (drivers/johnny-five-board.ts).

export interface OutputDriver {
  /** Device or board id from the config, for messages. */
  readonly id: string;
  /** The device answered the last time it was used. */
  readonly online: boolean;
  /** Drive a channel; resolves true only once the device confirmed the new state. Never rejects for device errors. */
  set(channel: string, on: boolean): Promise<boolean>;
  /** Last confirmed state of a channel; undefined when unknown (never confirmed, or device unreachable). */
  state(channel: string): boolean | undefined;
  /** Re-read every channel (detects a module that reset its coils). Resolves false when unreachable. */
  refresh?(): Promise<boolean>;
}
