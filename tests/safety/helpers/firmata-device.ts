// A StandardFirmata board played on the far end of a socat PTY, so the gateway's production path
// (firmata-io on a serial port → johnny-five → JohnnyFiveBoard) runs unchanged in tests. It answers
// the handshake (version, firmware, capabilities, analog mapping), keeps pin modes and output
// levels, and reports digital inputs a test sets (buttons, key switches). Test helper, not a test.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';

const CMD = {
  DIGITAL_MESSAGE: 0x90,
  ANALOG_MESSAGE: 0xe0,
  REPORT_ANALOG: 0xc0,
  REPORT_DIGITAL: 0xd0,
  SET_PIN_MODE: 0xf4,
  SET_DIGITAL_PIN_VALUE: 0xf5,
  REPORT_VERSION: 0xf9,
  SYSTEM_RESET: 0xff,
  START_SYSEX: 0xf0,
  END_SYSEX: 0xf7,
} as const;

const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  QUERY_FIRMWARE: 0x79,
} as const;

const MODE = { INPUT: 0x00, OUTPUT: 0x01, ANALOG: 0x02, PWM: 0x03, PULLUP: 0x0b } as const;

/** Bytes after the command byte, by command (high nibble for channel commands). */
function dataLength(command: number): number {
  const high = command & 0xf0;
  if (high === CMD.DIGITAL_MESSAGE || high === CMD.ANALOG_MESSAGE) return 2;
  if (high === CMD.REPORT_ANALOG || high === CMD.REPORT_DIGITAL) return 1;
  if (command === CMD.SET_PIN_MODE || command === CMD.SET_DIGITAL_PIN_VALUE) return 2;
  return 0;
}

export interface PinChange {
  pin: number;
  level: 0 | 1;
  /** performance.now() when the board received it. */
  at: number;
}

export interface FirmataDeviceEvents {
  /** An output pin changed level. */
  change: [PinChange];
}

export class FirmataDevice extends EventEmitter<FirmataDeviceEvents> {
  /** Every level change of an output pin, in order. */
  readonly changes: PinChange[] = [];
  private readonly modes = new Map<number, number>();
  private readonly levels = new Map<number, 0 | 1>();
  private readonly inputs = new Map<number, 0 | 1>();
  private readonly reporting = new Set<number>();
  private pending: number[] = [];
  private sysex: number[] | undefined;
  private muted = false;

  private constructor(
    private readonly port: SerialPort,
    readonly pinCount: number,
  ) {
    super();
    port.on('data', (chunk: Buffer) => {
      for (const byte of chunk) this.receive(byte);
    });
    // The cable pulled (PTY killed) while the board still answers: its writes fail with EIO, as
    // a real board's would go nowhere. Kept for inspection, never an uncaught 'error' event.
    port.on('error', (err: Error) => this.portErrors.push(err));
  }

  /** Errors of the board's own serial port (writes after an unplug). */
  readonly portErrors: Error[] = [];

  /** Serve Firmata on `path` (the simulator end of a PTY pair). */
  static open(path: string, pinCount = 20): Promise<FirmataDevice> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 57600, autoOpen: false });
      port.open((err) => (err ? reject(err) : resolve(new FirmataDevice(port, pinCount))));
    });
  }

  /** Output level of a pin as the board drives it (0 when never written). */
  level(pin: number): 0 | 1 {
    return this.levels.get(pin) ?? 0;
  }

  mode(pin: number): number | undefined {
    return this.modes.get(pin);
  }

  /** A button or key switch on an input pin: report the new level to the host. */
  setInput(pin: number, level: 0 | 1): void {
    this.inputs.set(pin, level);
    this.reportPort(pin >> 3);
  }

  /** The board hangs: it stops answering and ignores what it is sent (the port stays open). */
  hang(): void {
    this.muted = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
  }

  private receive(byte: number): void {
    if (this.muted) return;
    if (this.sysex) {
      if (byte === CMD.END_SYSEX) {
        const body = this.sysex;
        this.sysex = undefined;
        this.onSysex(body);
      } else this.sysex.push(byte);
      return;
    }
    if (byte === CMD.START_SYSEX) {
      this.sysex = [];
      this.pending = [];
      return;
    }
    if (byte & 0x80) this.pending = [byte];
    else if (this.pending.length > 0) this.pending.push(byte);
    else return; // A data byte without a command: out of step, skip it as a board would.
    const command = this.pending[0]!;
    if (this.pending.length < 1 + dataLength(command)) return;
    const [, a = 0, b = 0] = this.pending;
    this.pending = [];
    this.onCommand(command, a, b);
  }

  private onCommand(command: number, a: number, b: number): void {
    const high = command & 0xf0;
    if (high === CMD.DIGITAL_MESSAGE) {
      const port = command & 0x0f;
      const value = a | (b << 7);
      for (let i = 0; i < 8; i++) {
        const pin = port * 8 + i;
        const mode = this.modes.get(pin) ?? MODE.OUTPUT;
        if (mode === MODE.OUTPUT) this.drive(pin, ((value >> i) & 1) as 0 | 1);
      }
    } else if (high === CMD.ANALOG_MESSAGE) {
      // PWM write (johnny-five's Led.on() on a PWM pin writes 255): on when non-zero.
      this.drive(command & 0x0f, (a | (b << 7)) > 0 ? 1 : 0);
    } else if (high === CMD.REPORT_DIGITAL) {
      const port = command & 0x0f;
      if (a) {
        this.reporting.add(port);
        this.reportPort(port);
      } else this.reporting.delete(port);
    } else if (command === CMD.SET_PIN_MODE) {
      this.modes.set(a, b);
    } else if (command === CMD.SET_DIGITAL_PIN_VALUE) {
      this.drive(a, b ? 1 : 0);
    } else if (command === CMD.REPORT_VERSION) {
      this.send([CMD.REPORT_VERSION, 2, 5]);
    } else if (command === CMD.SYSTEM_RESET) {
      this.modes.clear();
      this.reporting.clear();
    }
  }

  private onSysex(body: number[]): void {
    switch (body[0]) {
      case SYSEX.QUERY_FIRMWARE: {
        const name = [...Buffer.from('TestFirmata')].flatMap((c) => [c & 0x7f, (c >> 7) & 0x7f]);
        this.send([CMD.START_SYSEX, SYSEX.QUERY_FIRMWARE, 2, 5, ...name, CMD.END_SYSEX]);
        break;
      }
      case SYSEX.CAPABILITY_QUERY: {
        const pins: number[] = [];
        for (let pin = 0; pin < this.pinCount; pin++) {
          // Digital in/out with pull-up on every pin (no PWM: LEDs are switched, not dimmed).
          pins.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1);
          if (pin >= 14) pins.push(MODE.ANALOG, 10);
          pins.push(0x7f);
        }
        this.send([CMD.START_SYSEX, SYSEX.CAPABILITY_RESPONSE, ...pins, CMD.END_SYSEX]);
        break;
      }
      case SYSEX.ANALOG_MAPPING_QUERY: {
        const map = Array.from({ length: this.pinCount }, (_, pin) => (pin >= 14 ? pin - 14 : 0x7f));
        this.send([CMD.START_SYSEX, SYSEX.ANALOG_MAPPING_RESPONSE, ...map, CMD.END_SYSEX]);
        break;
      }
      default:
        // Sampling interval and the rest need no answer.
        break;
    }
  }

  private drive(pin: number, level: 0 | 1): void {
    if (this.levels.get(pin) === level) return;
    this.levels.set(pin, level);
    const change: PinChange = { pin, level, at: performance.now() };
    this.changes.push(change);
    this.emit('change', change);
  }

  private reportPort(port: number): void {
    if (!this.reporting.has(port)) return;
    let value = 0;
    for (let i = 0; i < 8; i++) value |= (this.inputs.get(port * 8 + i) ?? 0) << i;
    this.send([CMD.DIGITAL_MESSAGE | port, value & 0x7f, (value >> 7) & 0x7f]);
  }

  private send(bytes: number[]): void {
    if (this.port.isOpen) this.port.write(Buffer.from(bytes));
  }
}
