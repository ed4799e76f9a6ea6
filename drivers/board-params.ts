// Settable parameters of a sensor board (its profile's `params`: unit id, baud, zero, span, alarm
// point…), read and written over a Modbus port. Every write is range-checked before it leaves,
// read back afterwards, and reported with the value before and after. Changing the unit id is
// followed through: the read-back goes to the new unit id, and this object talks to it from then on.
import { BAUD_RATES } from '../core/baud-rates.js';
import type { Profile } from '../board-configs/profile-schema.js';
import { isModbusError } from '../protocols/modbus/errors.js';
import { ExceptionCode } from '../protocols/modbus/types.js';
import type { ModbusPort } from './modbus-device.js';
import { decodeRaw, encodeRaw, widthOf } from './register-codec.js';
import { MinegateError } from '../core/minegate-error.js';

export type ParamSpec = Profile['params'][string];

export interface ParamValue {
  name: string;
  /** Engineering value (raw × scale). */
  value: number;
  raw: number[];
  unit: string;
  min: number;
  max: number;
  description: string;
  affects?: 'unit-id' | 'baud-rate';
}

export interface ParamChange {
  param: string;
  address: number;
  before: number;
  requested: number;
  /** Read back after the write; null when the read-back failed. */
  after: number | null;
  verified: boolean;
  /** Unit id the device answered on before, and the one the read-back went to. */
  unitBefore: number;
  unitAfter: number;
  affects?: 'unit-id' | 'baud-rate';
  /** Why verification failed, or what the technician must do next. */
  note?: string;
}

/**
 * - unknown-param:     the profile has no such parameter.
 * - not-a-number:      the value is not a finite number.
 * - out-of-range:      outside the profile's min..max (or not a standard baud rate).
 * - not-representable: not a multiple of the parameter's step, or too big for its register type.
 * - unit-in-use:       something already answers on the unit id asked for.
 * - no-answer:         the device did not answer the read before the write (nothing was written).
 */
export type BoardParamErrorCode = 'unknown-param' | 'not-a-number' | 'out-of-range' | 'not-representable' | 'unit-in-use' | 'no-answer';

export class BoardParamError extends MinegateError<BoardParamErrorCode> {
  constructor(
    code: BoardParamErrorCode,
    readonly param: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, { field: param, cause: options?.cause });
    this.name = 'BoardParamError';
  }
}

export interface BoardParamsOptions {
  /** Per-request timeout; default: the port's own. */
  timeoutMs?: number;
}

export interface WriteParamOptions {
  /**
   * For a baud-rate change: a port already talking at the new speed, to read back through
   * (serial lines). Without it the read-back uses the same port (TCP converters, simulators).
   */
  portAtBaud?: (baudRate: number) => Promise<ModbusPort>;
}

/** Float noise from scaling (0.35 = 35 × 0.01 → 0.35000000000000003) is not a different value. */
function tidy(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

const RAW_LIMITS: Record<ParamSpec['type'], [number, number]> = {
  bool: [0, 1],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
};

export class BoardParams {
  private currentUnit: number;
  private readonly requestOpts: { timeoutMs?: number };

  constructor(
    private readonly port: ModbusPort,
    unit: number,
    readonly profile: Profile,
    options: BoardParamsOptions = {},
  ) {
    if (!port || typeof port.read !== 'function' || typeof port.write !== 'function') throw new TypeError(`BoardParams: port must be a ModbusPort, got ${String(port)}`);
    if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new TypeError(`BoardParams: unit must be an integer 1..247, got ${String(unit)}`);
    if (!profile || typeof profile.params !== 'object') throw new TypeError(`BoardParams: profile must be a device profile, got ${String(profile)}`);
    if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)) {
      throw new TypeError(`BoardParams: timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
    }
    this.currentUnit = unit;
    this.requestOpts = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  }

  /** The unit id the board answers on now (follows a verified unit-id change). */
  get unit(): number {
    return this.currentUnit;
  }

  get names(): string[] {
    return Object.keys(this.profile.params);
  }

  spec(name: string): ParamSpec {
    const spec = this.profile.params[name];
    if (!spec) {
      const known = this.names.join(', ') || 'none';
      throw new BoardParamError('unknown-param', name, `profile ${this.profile.name} has no parameter "${name}" (it has: ${known})`);
    }
    return spec;
  }

  async read(name: string): Promise<ParamValue> {
    const spec = this.spec(name);
    return this.readAt(this.port, this.currentUnit, name, spec);
  }

  /** Every parameter, one transaction each (a gap between them may be unmapped on a real board). */
  async readAll(): Promise<ParamValue[]> {
    const values: ParamValue[] = [];
    for (const name of this.names) values.push(await this.read(name));
    return values;
  }

  /** The register words for `value`, or a BoardParamError saying exactly why it cannot be written. */
  encode(name: string, value: number): number[] {
    const spec = this.spec(name);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new BoardParamError('not-a-number', name, `${name} needs a number, got ${JSON.stringify(value)}`);
    }
    const unit = spec.unit ? ` ${spec.unit}` : '';
    const raw = value / spec.scale;
    if (spec.type !== 'float32' && Math.abs(raw - Math.round(raw)) > 1e-6 * Math.max(1, Math.abs(raw))) {
      throw new BoardParamError('not-representable', name, `${name} moves in steps of ${spec.scale}${unit}; ${value} is not one of them`);
    }
    const rounded = spec.type === 'float32' ? raw : Math.round(raw);
    const [lo, hi] = RAW_LIMITS[spec.type];
    if (rounded < lo || rounded > hi) {
      throw new BoardParamError('not-representable', name, `${value}${unit} does not fit the ${spec.type} register of ${name} (${tidy(lo * spec.scale)}..${tidy(hi * spec.scale)}); the board cannot store it`);
    }
    const engineering = tidy(rounded * spec.scale);
    const eps = 1e-9 * Math.max(1, Math.abs(spec.min), Math.abs(spec.max));
    if (engineering < spec.min - eps || engineering > spec.max + eps) {
      throw new BoardParamError('out-of-range', name, `${name} must be ${spec.min}..${spec.max}${unit}, got ${value}`);
    }
    if (spec.affects === 'baud-rate' && !(BAUD_RATES as readonly number[]).includes(engineering)) {
      throw new BoardParamError('out-of-range', name, `${name} must be a standard line speed (${BAUD_RATES.join(', ')}), got ${value}`);
    }
    return encodeRaw(spec.type, rounded, 'high-first');
  }

  /**
   * Write one parameter: check, read the value before, write, read back and compare. A changed
   * unit id is verified on the new unit; a changed baud through `portAtBaud` when given.
   * Resolves with the change (verified or not); throws BoardParamError when nothing was written.
   */
  async write(name: string, value: number, opts: WriteParamOptions = {}): Promise<ParamChange> {
    const spec = this.spec(name);
    const words = this.encode(name, value);
    const requested = tidy(decodeRaw(spec.type, words, 'high-first') * spec.scale);
    const unitBefore = this.currentUnit;
    let before: ParamValue;
    try {
      before = await this.read(name);
    } catch (err) {
      throw new BoardParamError('no-answer', name, `unit ${unitBefore} did not answer reading ${name} (${(err as Error).message}); nothing was written`, { cause: err });
    }
    const base = { param: name, address: spec.address, before: before.value, requested, unitBefore, ...(spec.affects ? { affects: spec.affects } : {}) };

    const newUnit = spec.affects === 'unit-id' ? requested : unitBefore;
    if (newUnit !== unitBefore && (await this.answers(newUnit))) {
      throw new BoardParamError('unit-in-use', name, `another device already answers on unit ${newUnit}; two boards on one address would collide; nothing was written`);
    }

    try {
      await this.port.write(unitBefore, 'holding', spec.address, words, this.requestOpts);
    } catch (err) {
      // A board may switch to its new unit id before it replies, so that reply never comes:
      // the read-back on the new unit decides. Anything else is a failed write.
      const renumbered = spec.affects === 'unit-id' && isModbusError(err, 'timeout');
      if (!renumbered) return { ...base, after: null, verified: false, unitAfter: unitBefore, note: `write refused or lost: ${(err as Error).message}` };
    }

    let port = this.port;
    if (spec.affects === 'baud-rate' && requested !== before.value && opts.portAtBaud) port = await opts.portAtBaud(requested);
    let after: ParamValue;
    try {
      after = await this.readAt(port, newUnit, name, spec);
    } catch (err) {
      const where = newUnit !== unitBefore ? ` on the new unit ${newUnit}` : '';
      const baudHint = spec.affects === 'baud-rate' && requested !== before.value ? `; the board may now talk at ${requested} baud: set the bus to it and check with "board get"` : '';
      return { ...base, after: null, verified: false, unitAfter: newUnit, note: `read-back${where} failed: ${(err as Error).message}${baudHint}` };
    }
    const verified = after.raw.length === words.length && after.raw.every((w, i) => (w & 0xffff) === words[i]);
    if (verified) this.currentUnit = newUnit;
    return {
      ...base,
      after: after.value,
      verified,
      unitAfter: newUnit,
      ...(verified ? {} : { note: `read back ${after.value}, expected ${requested}: the board did not take the value` }),
    };
  }

  /**
   * Several parameters: all checked before any is written, then written one by one (unit id and
   * baud last, so the others still go to the address they were read from), stopping at the first
   * that fails verification. Resolves with the changes made so far.
   */
  async writeAll(values: Record<string, number>, opts: WriteParamOptions = {}): Promise<ParamChange[]> {
    const entries = Object.entries(values);
    for (const [name, value] of entries) this.encode(name, value);
    const linkLast = (n: string): number => (this.profile.params[n]?.affects ? 1 : 0);
    entries.sort((a, b) => linkLast(a[0]) - linkLast(b[0]));
    const changes: ParamChange[] = [];
    for (const [name, value] of entries) {
      const change = await this.write(name, value, opts);
      changes.push(change);
      if (!change.verified) break;
    }
    return changes;
  }

  private async readAt(port: ModbusPort, unit: number, name: string, spec: ParamSpec): Promise<ParamValue> {
    const raw = await port.read(unit, 'holding', spec.address, widthOf(spec.type), this.requestOpts);
    return {
      name,
      value: tidy(decodeRaw(spec.type, raw, 'high-first') * spec.scale),
      raw,
      unit: spec.unit,
      min: spec.min,
      max: spec.max,
      description: spec.description,
      ...(spec.affects ? { affects: spec.affects } : {}),
    };
  }

  /** Does anything answer on `unit`? An exception reply is an answer; silence or a gateway's 0x0B is not. */
  private async answers(unit: number): Promise<boolean> {
    try {
      await this.port.read(unit, 'holding', 0, 1, this.requestOpts);
      return true;
    } catch (err) {
      if (isModbusError(err, 'exception')) return err.exceptionCode !== ExceptionCode.GatewayTargetFailedToRespond && err.exceptionCode !== 0x0a;
      return false;
    }
  }
}
