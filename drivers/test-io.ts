// A johnny-five IO plugin with no hardware behind it (libraries.md §3): it records every pin write
// and lets a test drive digital inputs. Used by tests and the demo in place of firmata-io. It
// implements just what Relay, Led, Pin and Button use.
import { EventEmitter } from 'node:events';

export interface TestPin {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  /** 127 = not an analog pin. */
  analogChannel: number;
}

export interface PinWrite {
  pin: number;
  kind: 'digital' | 'analog';
  value: number;
}

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;

export interface TestIOOptions {
  /** Digital pins 0..digitalPins-1 (default 20, like an Uno). */
  digitalPins?: number;
  /** Pins that support PWM (johnny-five's Led.on() writes 255 to them with analogWrite). */
  pwmPins?: number[];
  /** Emit 'connect'/'ready' on the next tick (default) or wait for connectNow(). */
  autoConnect?: boolean;
}

export const TEST_IO_DEFAULTS = { digitalPins: 20, pwmPins: [3, 5, 6, 9, 10, 11], autoConnect: true } as const;

export class TestIO extends EventEmitter {
  readonly name = 'TestIO';
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly pins: TestPin[];
  readonly analogPins: number[] = [];
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 };
  isReady = false;
  /** Every write, in order. */
  readonly writes: PinWrite[] = [];
  private readonly digitalReaders = new Map<number, ((value: number) => void)[]>();
  private readonly inputs = new Map<number, number>();

  constructor(opts: TestIOOptions = {}) {
    super();
    const digitalPins = opts.digitalPins ?? TEST_IO_DEFAULTS.digitalPins;
    if (!Number.isInteger(digitalPins) || digitalPins < 1) throw new TypeError(`TestIO: digitalPins must be a positive integer, got ${String(opts.digitalPins)}`);
    const pwm = new Set(opts.pwmPins ?? TEST_IO_DEFAULTS.pwmPins);
    this.pins = Array.from({ length: digitalPins }, (_, i) => ({
      supportedModes: pwm.has(i) ? [MODES.INPUT, MODES.OUTPUT, MODES.PWM] : [MODES.INPUT, MODES.OUTPUT],
      mode: MODES.OUTPUT,
      value: 0,
      report: 0,
      analogChannel: 127,
    }));
    if (opts.autoConnect ?? TEST_IO_DEFAULTS.autoConnect) process.nextTick(() => this.connectNow());
  }

  /** Announce the board (connect, then ready), as firmata does after its version report. */
  connectNow(): void {
    if (this.isReady) return;
    this.emit('connect');
    this.isReady = true;
    this.emit('ready');
  }

  pinMode(pin: number, mode: number): this {
    this.pin(pin).mode = mode;
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    const p = this.pin(pin);
    p.value = value ? 1 : 0;
    this.writes.push({ pin, kind: 'digital', value: p.value });
    return this;
  }

  analogWrite(pin: number, value: number): this {
    this.pin(pin).value = value;
    this.writes.push({ pin, kind: 'analog', value });
    return this;
  }

  /** johnny-five also calls pwmWrite on some paths. */
  pwmWrite(pin: number, value: number): this {
    return this.analogWrite(pin, value);
  }

  digitalRead(pin: number, callback: (value: number) => void): void {
    this.pin(pin).report = 1;
    this.digitalReaders.set(pin, [...(this.digitalReaders.get(pin) ?? []), callback]);
    const current = this.inputs.get(pin);
    if (current !== undefined) callback(current);
  }

  analogRead(_pin: number, _callback: (value: number) => void): void {
    // No analog inputs on this plugin.
  }

  reportDigitalPin(pin: number, value: 0 | 1): void {
    this.pin(pin).report = value;
  }

  /** Drive a digital input as the device would report it. */
  setInput(pin: number, value: 0 | 1): void {
    this.inputs.set(pin, value);
    for (const cb of this.digitalReaders.get(pin) ?? []) cb(value);
  }

  /** Current level of an output pin (1 = high). */
  level(pin: number): number {
    return this.pin(pin).value;
  }

  /** The board vanished (USB unplugged): johnny-five forwards 'close'. */
  disconnect(): void {
    this.isReady = false;
    this.emit('close');
  }

  private pin(pin: number): TestPin {
    const p = this.pins[pin];
    if (!p) throw new RangeError(`TestIO: no pin ${pin} (0..${this.pins.length - 1})`);
    return p;
  }
}
