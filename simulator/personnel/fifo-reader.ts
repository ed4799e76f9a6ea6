// A simulated card reader with a Modbus register FIFO (profile card-reader-fifo.yaml), hosted by
// ModbusSlaveServer. Register addresses come from the same profile the gateway's driver reads; the
// record encoding is written here independently of the driver's decoder, so one bug cannot hide on
// both sides of the wire.
import type { Profile } from '../../board-configs/profile-schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import type { CardRecord, ReaderPower } from '../../protocols/card-reader/types.js';
import { ExceptionCode, type SlaveDevice, type SlaveRequest, type SlaveResponse, type WireFault } from '../../protocols/modbus/types.js';

export interface FifoReaderOptions {
  unit: number;
  /** Records the FIFO holds before it drops the oldest. */
  capacity?: number;
  /** Records visible in the register window. */
  windowRecords?: number;
  baudRate?: number;
  profile?: Profile;
}

export const FIFO_READER_DEFAULTS = {
  capacity: 512,
  windowRecords: 24,
  baudRate: 9600,
} as const;

const REGISTERS_PER_RECORD = 4;

interface Queued {
  seq: number;
  words: [number, number, number, number];
}

function encodeRecord(r: CardRecord): [number, number, number, number] {
  let flags = 0;
  if (r.lowBattery) flags |= 0x01;
  if (r.sos || r.sosDouble) flags |= 0x02;
  if (r.sosDouble) flags |= 0x04;
  const dm = Math.min(0xffff, Math.round(Math.abs(r.distanceM) * 10));
  if (r.distanceM < 0 && dm > 0) flags |= 0x08;
  const rssi = Math.max(-128, Math.min(127, Math.round(r.rssi)));
  return [Math.floor(r.tag / 0x10000) & 0xffff, r.tag & 0xffff, ((rssi & 0xff) << 8) | flags, dm];
}

const exception = (code: number): SlaveResponse => ({ kind: 'exception', code });

export class FifoReaderDevice implements SlaveDevice {
  readonly unit: number;
  readonly capacity: number;
  readonly windowRecords: number;
  readonly baudRate: number;
  /** Cards in range at the last report. */
  inRange = 0;
  power: Exclude<ReaderPower, 'unknown'> = 'ac';
  /** An offline reader does not answer at all. */
  offline = false;
  /** Wire faults applied one per request, before normal answers resume. */
  readonly faults: WireFault[] = [];
  private readonly queue: Queued[] = [];
  private nextSeq = 0;
  private overflowCount = 0;
  private pushedCount = 0;
  private readonly addr: Record<'queued' | 'headSeq' | 'status' | 'overflows' | 'inRange' | 'windowRecords' | 'window' | 'ack', number>;
  private readonly unitIdAddress: number | undefined;
  private readonly baudAddress: number | undefined;

  constructor(options: FifoReaderOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`FifoReaderDevice options must be an object, got ${String(options)}`);
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new TypeError(`FifoReaderDevice unit must be an integer 1..247, got ${String(options.unit)}`);
    const o = { ...FIFO_READER_DEFAULTS, ...options };
    if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new TypeError(`FifoReaderDevice capacity must be a positive integer, got ${String(o.capacity)}`);
    if (!Number.isInteger(o.windowRecords) || o.windowRecords < 1 || o.windowRecords > 29) throw new TypeError(`FifoReaderDevice windowRecords must be an integer 1..29, got ${String(o.windowRecords)}`);
    this.unit = o.unit;
    this.capacity = o.capacity;
    this.windowRecords = o.windowRecords;
    this.baudRate = o.baudRate;
    const profile = o.profile ?? loadProfile('card-reader-fifo');
    const at = (name: string): number => {
      const ch = profile.channels[name];
      if (!ch) throw new TypeError(`profile ${profile.name} has no channel "${name}"`);
      return ch.address;
    };
    this.addr = {
      queued: at('queued'),
      headSeq: at('head-seq'),
      status: at('reader-status'),
      overflows: at('overflows'),
      inRange: at('in-range'),
      windowRecords: at('window-records'),
      window: at('record-window'),
      ack: at('ack'),
    };
    this.unitIdAddress = profile.params['unit-id']?.address;
    this.baudAddress = profile.params['baud-rate']?.address;
  }

  /** Records waiting to be read. */
  get queued(): number {
    return this.queue.length;
  }

  get overflows(): number {
    return this.overflowCount;
  }

  /** Records ever queued (a test's count of what the gateway should receive). */
  get pushed(): number {
    return this.pushedCount;
  }

  /** Queue one report's records; a full FIFO drops its oldest records (counted in `overflows`). */
  push(records: readonly CardRecord[]): void {
    for (const r of records) {
      this.pushedCount++;
      this.queue.push({ seq: this.nextSeq, words: encodeRecord(r) });
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
      if (this.queue.length > this.capacity) {
        this.queue.shift();
        this.overflowCount = (this.overflowCount + 1) & 0xffff;
      }
    }
  }

  private headSeq(): number {
    return this.queue.length > 0 ? this.queue[0]!.seq : this.nextSeq;
  }

  private inputRegister(address: number): number | null {
    const a = this.addr;
    const w = address - a.window;
    if (w >= 0 && w < this.windowRecords * REGISTERS_PER_RECORD) {
      const rec = this.queue[Math.floor(w / REGISTERS_PER_RECORD)];
      return rec ? rec.words[w % REGISTERS_PER_RECORD]! : 0;
    }
    switch (address) {
      case a.queued:
        return Math.min(this.queue.length, 0xffff);
      case a.headSeq:
        return this.headSeq();
      case a.status:
        return (this.power === 'ac' ? 0x01 : 0) | (this.power === 'fault' ? 0x02 : 0);
      case a.overflows:
        return this.overflowCount;
      case a.inRange:
        return Math.min(this.inRange, 0xffff);
      case a.windowRecords:
        return this.windowRecords;
      default:
        // Gaps inside the header block read 0, like unused registers on most boards.
        return address >= 0 && address < a.window ? 0 : null;
    }
  }

  private ack(value: number): SlaveResponse {
    const take = (value - this.headSeq()) & 0xffff;
    if (take > this.queue.length) return exception(ExceptionCode.IllegalDataValue);
    this.queue.splice(0, take);
    return { kind: 'write-ok' };
  }

  handle(request: SlaveRequest): SlaveResponse {
    // The server consults wireFault() (silence) only after handling: an offline reader must not act either.
    if (this.offline) return exception(ExceptionCode.ServerDeviceFailure);
    switch (request.fn) {
      case 0x04: {
        const values: number[] = [];
        for (let i = 0; i < request.count; i++) {
          const v = this.inputRegister(request.address + i);
          if (v === null) return exception(ExceptionCode.IllegalDataAddress);
          values.push(v);
        }
        return { kind: 'registers', values };
      }
      case 0x03: {
        const values: number[] = [];
        for (let i = 0; i < request.count; i++) {
          const address = request.address + i;
          if (address === this.addr.ack) values.push(this.headSeq());
          else if (address === this.unitIdAddress) values.push(this.unit);
          else if (address === this.baudAddress) values.push(this.baudRate & 0xffff);
          else return exception(ExceptionCode.IllegalDataAddress);
        }
        return { kind: 'registers', values };
      }
      case 0x06:
        return request.address === this.addr.ack ? this.ack(request.value) : exception(ExceptionCode.IllegalDataAddress);
      case 0x10:
        return request.address === this.addr.ack && request.values.length === 1 ? this.ack(request.values[0]!) : exception(ExceptionCode.IllegalDataAddress);
      default:
        return exception(ExceptionCode.IllegalFunction);
    }
  }

  wireFault(): WireFault | null {
    if (this.offline) return 'no-response';
    return this.faults.shift() ?? null;
  }
}
