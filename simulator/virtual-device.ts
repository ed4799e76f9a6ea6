// A simulated Modbus field device whose register image is built from a device profile — the same
// YAML register map the gateway's drivers read, so both sides of the wire agree by construction.
import { EventEmitter } from 'node:events';
import { type Profile, ProfileSchema } from '../board-configs/profile-schema.js';
import { loadProfile } from '../board-configs/profiles.js';
import { ExceptionCode, FunctionCode, type SlaveDevice, type SlaveRequest, type SlaveResponse, type WireFault } from '../protocols/modbus/types.js';
import { SimulatorError } from './errors.js';
import { engineeringLimits, rawFits, rawToWords, toRaw, widthOf, wordsToEngineering } from './register-encoding.js';
import { type BitSlot, exception, MAX_WRITE_BITS, MAX_WRITE_REGISTERS, RegisterImage, type WordSlot } from './register-image.js';

export interface ProfileDeviceOptions {
  /** Modbus unit id the device answers on at power-up (1..247). */
  unit: number;
  /** Line speed the board is configured for (its baud-rate param, when the profile has one). */
  baudRate?: number;
  /** Initial board parameters in engineering units, by param name. Others get a default inside min..max. */
  params?: Record<string, number>;
  /** Where to load the profile from when it is given by name (default: board-configs/profiles). */
  profilesDir?: string;
}

export const PROFILE_DEVICE_DEFAULTS = {
  baudRate: 9600,
} as const;

export type ChannelValue = number | boolean;

export interface DeviceStatus {
  sensorFault: boolean;
  calibrating: boolean;
  overRange: boolean;
}

/** A value the master wrote over the wire. */
export interface DeviceWrite {
  kind: 'channel' | 'param';
  name: string;
  value: ChannelValue;
  previous: ChannelValue;
}

/** Any change of a channel's value, by the wire (master write) or locally (test, scenario, signal). */
export interface ChannelChange {
  channel: string;
  value: ChannelValue;
  previous: ChannelValue;
  source: 'wire' | 'local';
}

export interface ProfileDeviceEvents {
  write: [DeviceWrite];
  change: [ChannelChange];
  'unit-changed': [{ from: number; to: number }];
  'baud-changed': [{ from: number; to: number }];
}

type Param = Profile['params'][string];

/** Given a master's write of `requested` to coil `channel` (now `current`), the value the coil takes. */
export type CoilGate = (channel: string, requested: boolean, current: boolean) => boolean;

export class ProfileDevice extends EventEmitter<ProfileDeviceEvents> implements SlaveDevice {
  readonly profile: Profile;
  private currentUnit: number;
  /** Registers and bits as the master sees them (register-image.ts). */
  private readonly image: RegisterImage;
  private readonly words: RegisterImage['words'];
  private readonly bits: RegisterImage['bits'];
  private readonly wordSlots = new Map<string, WordSlot>();
  private readonly bitSlots = new Map<string, BitSlot>();
  private readonly paramSlots = new Map<string, WordSlot>();
  private readonly flags = { sensorFault: false, calibrating: false };
  private fault: WireFault | null = null;
  private failed = false;
  private delayMs = 0;
  /** The board's own logic between a master's coil write and the relay (relay-watchdog.ts). */
  private coilGate: CoilGate | null = null;

  constructor(profile: Profile | string, options: ProfileDeviceOptions) {
    super();
    this.profile = resolveProfile(profile, options?.profilesDir);
    if (!options || !Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) {
      throw new TypeError(`ProfileDevice(${this.profile.name}): unit must be an integer 1..247, got ${String(options?.unit)}`);
    }
    this.currentUnit = options.unit;
    const baudRate = options.baudRate ?? PROFILE_DEVICE_DEFAULTS.baudRate;
    if (!Number.isInteger(baudRate) || baudRate <= 0) {
      throw new TypeError(`ProfileDevice(${this.profile.name}): baudRate must be a positive integer, got ${String(options.baudRate)}`);
    }
    this.baud = baudRate;
    this.image = new RegisterImage(this.profile.name);
    this.words = this.image.words;
    this.bits = this.image.bits;

    for (const [name, ch] of Object.entries(this.profile.channels)) {
      if (ch.table === 'coil' || ch.table === 'discrete') {
        const slot: BitSlot = { name, table: ch.table, address: ch.address, writable: ch.writable };
        this.image.addBitSlot(slot);
        this.bitSlots.set(name, slot);
      } else {
        const slot: WordSlot = { kind: 'channel', name, ...ch, table: ch.table, width: widthOf(ch.type) };
        this.image.addWordSlot(slot);
        this.wordSlots.set(name, slot);
      }
    }
    const status = this.profile.status;
    if (status) {
      this.image.claim(status.table, status.address, 1, 'status word');
      this.words[status.table].set(status.address, 0);
    }
    for (const [name, p] of Object.entries(this.profile.params)) {
      const slot: WordSlot = { kind: 'param', name, table: 'holding', address: p.address, type: p.type, scale: p.scale, offset: 0, wordOrder: 'high-first', width: widthOf(p.type), writable: true, min: p.min, max: p.max };
      this.image.addWordSlot(slot);
      this.paramSlots.set(name, slot);
      this.storeWords(slot, this.encode(slot, this.initialParam(name, p, options)));
      if (p.affects === 'baud-rate') this.baud = this.getParam(name);
    }
  }

  // ---- SlaveDevice -----------------------------------------------------------------------------

  /** The unit id the device answers on now (changes when the master writes the unit-id param). */
  get unit(): number {
    return this.currentUnit;
  }

  wireFault(): WireFault | null {
    return this.fault;
  }

  handle(request: SlaveRequest): SlaveResponse {
    // A board with an internal failure still talks, but refuses everything (exception 04).
    if (this.failed) return exception(ExceptionCode.ServerDeviceFailure);
    switch (request.fn) {
      case FunctionCode.ReadCoils:
        return this.image.readBits('coil', request.address, request.count);
      case FunctionCode.ReadDiscreteInputs:
        return this.image.readBits('discrete', request.address, request.count);
      case FunctionCode.ReadHoldingRegisters:
        return this.image.readWords('holding', request.address, request.count);
      case FunctionCode.ReadInputRegisters:
        return this.image.readWords('input', request.address, request.count);
      case FunctionCode.WriteSingleCoil:
        return this.writeBits(request.address, [request.value]);
      case FunctionCode.WriteSingleRegister:
        return this.writeWords(request.address, [request.value]);
      case FunctionCode.WriteMultipleCoils:
        return this.writeBits(request.address, request.values);
      case FunctionCode.WriteMultipleRegisters:
        return this.writeWords(request.address, request.values);
      default:
        return exception(ExceptionCode.IllegalFunction);
    }
  }

  // ---- Test / scenario API ---------------------------------------------------------------------

  /** Put an engineering value into a channel (booleans or 0/1 for bit channels). */
  set(channel: string, value: ChannelValue): void {
    const bit = this.bitSlots.get(channel);
    if (bit) {
      if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw new SimulatorError('not-encodable', `${this.label}: ${channel} takes a boolean, got ${String(value)}`, { channel, value });
      }
      this.setBit(bit, typeof value === 'boolean' ? value : value !== 0, 'local');
      return;
    }
    const slot = this.wordSlots.get(channel);
    if (!slot) throw this.unknownChannel(channel);
    const numeric = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const previous = this.get(channel);
    this.storeWords(slot, this.encode(slot, numeric));
    this.refreshStatus();
    const now = this.get(channel);
    if (now !== previous) this.emit('change', { channel, value: now, previous, source: 'local' });
  }

  /** Current engineering value of a channel as the master would decode it (after rounding to the register). */
  get(channel: string): ChannelValue {
    const bit = this.bitSlots.get(channel);
    if (bit) return this.bits[bit.table].get(bit.address)!;
    const slot = this.wordSlots.get(channel);
    if (!slot) throw this.unknownChannel(channel);
    const value = wordsToEngineering(slot, this.readSlot(slot));
    return slot.type === 'bool' ? value !== 0 : value;
  }

  /** Channel names of this device. */
  get channels(): string[] {
    return [...this.bitSlots.keys(), ...this.wordSlots.keys()];
  }

  /** Engineering values a channel's registers can hold (bit channels: 0..1). */
  channelLimits(channel: string): { low: number; high: number } {
    if (this.bitSlots.has(channel)) return { low: 0, high: 1 };
    const slot = this.wordSlots.get(channel);
    if (!slot) throw this.unknownChannel(channel);
    return engineeringLimits(slot);
  }

  /** Set status flags the profile has bits for. Over-range is automatic (value outside the profile range). */
  setStatus(flags: { sensorFault?: boolean; calibrating?: boolean }): void {
    for (const key of ['sensorFault', 'calibrating'] as const) {
      const wanted = flags[key];
      if (wanted === undefined) continue;
      if (this.profile.status?.bits[key] === undefined) {
        throw new SimulatorError('status-not-supported', `${this.label}: profile ${this.profile.name} has no ${key} status bit`, { flag: key });
      }
      this.flags[key] = wanted;
    }
    this.refreshStatus();
  }

  get status(): DeviceStatus {
    return { ...this.flags, overRange: this.isOverRange() };
  }

  /** Misbehave on the wire for every request until cleared with null. */
  setWireFault(fault: WireFault | null): void {
    this.fault = fault;
  }

  /** Answer every request with exception 04 (server device failure) while on. */
  setDeviceFailure(on: boolean): void {
    this.failed = on;
  }

  get deviceFailure(): boolean {
    return this.failed;
  }

  /** Extra processing time before every reply, ms (a slow board); 0 answers at once. */
  setResponseDelay(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`${this.label}: response delay must be a finite number of ms >= 0, got ${String(ms)}`);
    }
    this.delayMs = ms;
  }

  /**
   * Board logic that decides what a master's coil write does to the relay (a tripped watchdog
   * holds its coils off): the write is still acknowledged, the read-back tells the truth.
   */
  setCoilGate(gate: CoilGate | null): void {
    this.coilGate = gate;
  }

  /** Consulted by the server before each reply. */
  responseDelayMs(): number {
    return this.delayMs;
  }

  /** Current engineering value of a board parameter. */
  getParam(name: string): number {
    const slot = this.paramSlots.get(name);
    if (!slot) throw this.unknownParam(name);
    return wordsToEngineering(slot, this.readSlot(slot));
  }

  /** Set a board parameter locally, with the same range check and side effects as a master write. */
  setParam(name: string, value: number): void {
    const slot = this.paramSlots.get(name);
    if (!slot) throw this.unknownParam(name);
    const words = this.encode(slot, value);
    const engineering = wordsToEngineering(slot, words);
    if (!withinParamRange(slot, engineering)) {
      throw new SimulatorError('param-out-of-range', `${this.label}: param ${name} must be ${slot.min}..${slot.max}, got ${value}`, { param: name, value });
    }
    this.commitParam(slot, words);
  }

  /** The line speed the board is configured for (its baud-rate param; recorded, not enforced). */
  get baudRate(): number {
    return this.baud;
  }

  private baud: number;

  private get label(): string {
    return `${this.profile.name}@${this.currentUnit}`;
  }

  // ---- Writes (all-or-nothing: a rejected request changes nothing) ----------------------------

  private writeBits(address: number, values: boolean[]): SlaveResponse {
    if (values.length < 1 || values.length > MAX_WRITE_BITS) return exception(ExceptionCode.IllegalDataValue);
    const targets: BitSlot[] = [];
    for (let i = 0; i < values.length; i++) {
      const slot = this.image.coilOwner.get(address + i);
      if (!slot || !slot.writable) return exception(ExceptionCode.IllegalDataAddress);
      targets.push(slot);
    }
    targets.forEach((slot, i) => {
      const previous = this.bits.coil.get(slot.address)!;
      this.setBit(slot, this.coilGate ? this.coilGate(slot.name, values[i]!, previous) : values[i]!, 'wire');
      this.emit('write', { kind: 'channel', name: slot.name, value: values[i]!, previous });
    });
    return { kind: 'write-ok' };
  }

  private writeWords(address: number, values: number[]): SlaveResponse {
    if (values.length < 1 || values.length > MAX_WRITE_REGISTERS) return exception(ExceptionCode.IllegalDataValue);
    const touched = new Map<WordSlot, number[]>();
    for (let i = 0; i < values.length; i++) {
      const slot = this.image.wordOwner.holding.get(address + i);
      if (!slot || !slot.writable) return exception(ExceptionCode.IllegalDataAddress);
      const words = touched.get(slot) ?? [];
      words[address + i - slot.address] = values[i]! & 0xffff;
      touched.set(slot, words);
    }
    const pending: { slot: WordSlot; words: number[] }[] = [];
    for (const [slot, words] of touched) {
      // Half of a 32-bit value would leave a value that neither side meant: refuse it.
      const complete = words.length === slot.width && [...words].every((w) => w !== undefined);
      if (!complete) return exception(ExceptionCode.IllegalDataValue);
      if (slot.kind === 'param' && !withinParamRange(slot, wordsToEngineering(slot, words))) return exception(ExceptionCode.IllegalDataValue);
      pending.push({ slot, words });
    }
    for (const { slot, words } of pending) {
      if (slot.kind === 'param') {
        const previous = this.getParam(slot.name);
        this.commitParam(slot, words);
        this.emit('write', { kind: 'param', name: slot.name, value: this.getParam(slot.name), previous });
      } else {
        const previous = this.get(slot.name);
        this.storeWords(slot, words);
        const value = this.get(slot.name);
        this.emit('write', { kind: 'channel', name: slot.name, value, previous });
        if (value !== previous) this.emit('change', { channel: slot.name, value, previous, source: 'wire' });
      }
    }
    this.refreshStatus();
    return { kind: 'write-ok' };
  }

  private commitParam(slot: WordSlot, words: number[]): void {
    this.storeWords(slot, words);
    const value = wordsToEngineering(slot, words);
    const affects = this.profile.params[slot.name]?.affects;
    if (affects === 'unit-id' && value !== this.currentUnit) {
      const from = this.currentUnit;
      this.currentUnit = value;
      this.emit('unit-changed', { from, to: value });
    } else if (affects === 'baud-rate' && value !== this.baud) {
      const from = this.baud;
      this.baud = value;
      this.emit('baud-changed', { from, to: value });
    }
  }

  // ---- Register image --------------------------------------------------------------------------

  private setBit(slot: BitSlot, value: boolean, source: 'wire' | 'local'): void {
    const previous = this.bits[slot.table].get(slot.address)!;
    this.bits[slot.table].set(slot.address, value);
    if (previous !== value) this.emit('change', { channel: slot.name, value, previous, source });
  }

  /** Raw words for an engineering value, or a typed error naming why it does not fit. */
  private encode(slot: WordSlot, value: number): number[] {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SimulatorError('not-encodable', `${this.label}: ${slot.name} needs a finite number, got ${String(value)}`, { name: slot.name, value });
    }
    const raw = toRaw(slot, value);
    if (!rawFits(slot.type, raw)) {
      const { low, high } = engineeringLimits(slot);
      throw new SimulatorError(
        'not-encodable',
        `${this.label}: ${value} does not fit ${slot.name} (${slot.type}, scale ${slot.scale}, offset ${slot.offset}: ${low}..${high})`,
        { name: slot.name, value, low, high },
      );
    }
    return rawToWords(slot.type, raw, slot.wordOrder);
  }

  private storeWords(slot: WordSlot, words: readonly number[]): void {
    this.image.storeWords(slot, words);
  }

  private readSlot(slot: WordSlot): number[] {
    return this.image.readSlot(slot);
  }

  // ---- Status word -----------------------------------------------------------------------------

  /** Channels that carry a measurement (the profile range applies to them): read-only numeric registers. */
  private isOverRange(): boolean {
    const range = this.profile.range;
    if (!range) return false;
    for (const slot of this.wordSlots.values()) {
      if (slot.writable || slot.type === 'bool') continue;
      const v = wordsToEngineering(slot, this.readSlot(slot));
      if (v < range.low || v > range.high) return true;
    }
    return false;
  }

  private refreshStatus(): void {
    const status = this.profile.status;
    if (!status) return;
    let word = 0;
    const bit = (n: number | undefined, on: boolean): void => {
      if (n !== undefined && on) word |= 1 << n;
    };
    bit(status.bits.sensorFault, this.flags.sensorFault);
    bit(status.bits.calibrating, this.flags.calibrating);
    bit(status.bits.overRange, this.isOverRange());
    this.words[status.table].set(status.address, word);
  }

  // ---- Construction helpers --------------------------------------------------------------------

  private initialParam(name: string, param: Param, options: ProfileDeviceOptions): number {
    const given = options.params?.[name];
    if (given !== undefined) {
      if (!(given >= param.min && given <= param.max)) {
        throw new TypeError(`ProfileDevice(${this.profile.name}): params.${name} must be ${param.min}..${param.max}, got ${String(given)}`);
      }
      if (param.affects === 'unit-id' && given !== options.unit) {
        throw new TypeError(`ProfileDevice(${this.profile.name}): params.${name} (${given}) contradicts unit ${options.unit}; set unit instead`);
      }
      return given;
    }
    if (param.affects === 'unit-id') return options.unit;
    if (param.affects === 'baud-rate') return this.baud;
    // A neutral value where the range allows it: zero offsets, unity factors, else the lowest setting.
    if (param.min <= 0 && param.max >= 0) return 0;
    if (param.min <= 1 && param.max >= 1) return 1;
    return param.min;
  }

  private unknownChannel(channel: string): SimulatorError {
    return new SimulatorError('unknown-channel', `${this.label}: no channel "${channel}" (has ${this.channels.join(', ')})`, { channel });
  }

  private unknownParam(name: string): SimulatorError {
    return new SimulatorError('unknown-param', `${this.label}: no param "${name}" (has ${[...this.paramSlots.keys()].join(', ') || 'none'})`, { param: name });
  }
}

function resolveProfile(profile: Profile | string, profilesDir: string | undefined): Profile {
  if (typeof profile === 'string') return profilesDir ? loadProfile(profile, profilesDir) : loadProfile(profile);
  const parsed = ProfileSchema.safeParse(profile);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new TypeError(`ProfileDevice: invalid profile: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}

function withinParamRange(slot: WordSlot, value: number): boolean {
  // Half an LSB of slack: a limit like 0.3 may not be exactly representable in binary floating point.
  const slack = Math.abs(slot.scale) / 2;
  return value >= slot.min! - slack && value <= slot.max! + slack;
}

