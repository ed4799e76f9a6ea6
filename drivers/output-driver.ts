// One interface for every output device the safety loop drives: Modbus relay module coils
// (drivers/relay-module.ts) and Firmata board pins (drivers/johnny-five-board.ts).

export interface SetOptions {
  /** Read the channel back after writing it (default true where the device can). */
  readBack?: boolean;
}

export interface OutputDriver {
  /** Device or board id from the config, for messages. */
  readonly id: string;
  /** The device answered the last time it was used. */
  readonly online: boolean;
  /**
   * Drive a channel; resolves true only once the device confirmed the new state. Never rejects for
   * device errors. `readBack: false` accepts the device's acknowledgement of the write as the
   * confirmation (a watchdog heartbeat that toggles every tick need not cost a second transaction).
   */
  set(channel: string, on: boolean, opts?: SetOptions): Promise<boolean>;
  /** Last confirmed state of a channel; undefined when unknown (never confirmed, or device unreachable). */
  state(channel: string): boolean | undefined;
  /** Re-read every channel (detects a module that reset its coils). Resolves false when unreachable. */
  refresh?(): Promise<boolean>;
}
