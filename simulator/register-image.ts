// The register image of a simulated device: which words and bits exist, which named value owns
// each register, and the raw reads a Modbus master gets. It knows addresses and words, not
// engineering values or events (those are ProfileDevice's).
import { ExceptionCode, type ModbusTable, type SlaveResponse } from '../protocols/modbus/types.js';
import type { Encoding } from './register-encoding.js';

export type WordTable = 'holding' | 'input';
export type BitTable = 'coil' | 'discrete';

/** A named value stored in registers (a channel or a board param). */
export interface WordSlot extends Encoding {
  kind: 'channel' | 'param';
  name: string;
  table: WordTable;
  address: number;
  width: 1 | 2;
  writable: boolean;
  /** Params only: accepted engineering range. */
  min?: number;
  max?: number;
}

/** A named value stored in one bit (coil/discrete channel). */
export interface BitSlot {
  name: string;
  table: BitTable;
  address: number;
  writable: boolean;
}

/** Modbus limits on quantities per request (Modbus Application Protocol v1.1b3 §6). */
export const MAX_READ_BITS = 2000;
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_BITS = 1968;
export const MAX_WRITE_REGISTERS = 123;

export const exception = (code: number): SlaveResponse => ({ kind: 'exception', code });

export class RegisterImage {
  readonly words: Record<WordTable, Map<number, number>> = { holding: new Map(), input: new Map() };
  readonly bits: Record<BitTable, Map<number, boolean>> = { coil: new Map(), discrete: new Map() };
  /** Which named value owns each register, by table. */
  readonly wordOwner: Record<WordTable, Map<number, WordSlot>> = { holding: new Map(), input: new Map() };
  readonly coilOwner = new Map<number, BitSlot>();
  private readonly claimed = new Map<string, string>();

  /** `owner` names the device in construction errors (its profile). */
  constructor(private readonly owner: string) {}

  addBitSlot(slot: BitSlot): void {
    this.claim(slot.table, slot.address, 1, `channel ${slot.name}`);
    if (slot.table === 'coil') this.coilOwner.set(slot.address, slot);
    this.bits[slot.table].set(slot.address, false);
  }

  addWordSlot(slot: WordSlot): void {
    this.claim(slot.table, slot.address, slot.width, `${slot.kind} ${slot.name}`);
    for (let i = 0; i < slot.width; i++) {
      this.wordOwner[slot.table].set(slot.address + i, slot);
      this.words[slot.table].set(slot.address + i, 0);
    }
  }

  /** Two values on one register would make the image ambiguous: a profile bug, reported at construction. */
  claim(table: ModbusTable, address: number, width: number, what: string): void {
    for (let a = address; a < address + width; a++) {
      if (a > 0xffff) throw new TypeError(`ProfileDevice(${this.owner}): ${what} runs past address 65535`);
      const key = `${table}:${a}`;
      const other = this.claimed.get(key);
      if (other) throw new TypeError(`ProfileDevice(${this.owner}): ${what} overlaps ${other} at ${table} ${a}`);
      this.claimed.set(key, what);
    }
  }

  storeWords(slot: WordSlot, words: readonly number[]): void {
    words.forEach((w, i) => this.words[slot.table].set(slot.address + i, w));
  }

  readSlot(slot: WordSlot): number[] {
    const out: number[] = [];
    for (let i = 0; i < slot.width; i++) out.push(this.words[slot.table].get(slot.address + i)!);
    return out;
  }

  readBits(table: BitTable, address: number, count: number): SlaveResponse {
    if (!Number.isInteger(count) || count < 1 || count > MAX_READ_BITS) return exception(ExceptionCode.IllegalDataValue);
    const values: boolean[] = [];
    for (let a = address; a < address + count; a++) {
      const v = this.bits[table].get(a);
      if (v === undefined) return exception(ExceptionCode.IllegalDataAddress);
      values.push(v);
    }
    return { kind: 'bits', values };
  }

  readWords(table: WordTable, address: number, count: number): SlaveResponse {
    if (!Number.isInteger(count) || count < 1 || count > MAX_READ_REGISTERS) return exception(ExceptionCode.IllegalDataValue);
    const values: number[] = [];
    for (let a = address; a < address + count; a++) {
      const v = this.words[table].get(a);
      if (v === undefined) return exception(ExceptionCode.IllegalDataAddress);
      values.push(v);
    }
    return { kind: 'registers', values };
  }
}
