// The requests waiting for the bus: two FIFO lanes, so an actuation ('high', e.g. a cut-off) goes
// ahead of every queued poll but never ahead of the one transaction already on the wire.
import type { ModbusError } from './errors.js';

export interface Transaction {
  unit: number;
  pdu: Buffer;
  timeoutMs: number;
  /** Modbus TCP transaction id. */
  tid: number;
  /** RTU broadcast (unit 0) write: executed by every slave, answered by none. */
  noReply: boolean;
  resolve: (values: number[]) => void;
  reject: (err: ModbusError) => void;
}

export type Priority = 'high' | 'normal';

export class TransactionQueue {
  private readonly high: Transaction[] = [];
  private readonly normal: Transaction[] = [];

  get length(): number {
    return this.high.length + this.normal.length;
  }

  push(tx: Transaction, priority: Priority): void {
    (priority === 'high' ? this.high : this.normal).push(tx);
  }

  /** The next request to send: the oldest high one, else the oldest normal one. */
  shift(): Transaction | undefined {
    return this.high.length > 0 ? this.high.shift() : this.normal.shift();
  }

  /** Empties both lanes, returning what was queued (high lane first) for the caller to fail. */
  drain(): Transaction[] {
    const all = [...this.high, ...this.normal];
    this.high.length = 0;
    this.normal.length = 0;
    return all;
  }
}
