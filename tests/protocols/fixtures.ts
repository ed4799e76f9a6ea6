// Test doubles shared by the protocol tests: an in-memory slave device with scriptable misbehaviour,
// and helpers to start servers and masters that are always cleaned up.
import { once } from 'node:events';
import type { ModbusSlaveServer, ServerRequestEvent } from '../../simulator/modbus-server.js';
import type { SlaveDevice, SlaveRequest, SlaveResponse, WireFault } from '../../protocols/modbus/types.js';

export const TABLE_SIZE = 1000;

/** A slave with 1000 coils/discretes/holding/input registers. Input register i reads holding i + 1000. */
export class MemoryDevice implements SlaveDevice {
  readonly coils = new Uint8Array(TABLE_SIZE);
  readonly holding = new Uint16Array(TABLE_SIZE);
  /** Faults consumed one per request, then normal answers. */
  readonly faults: WireFault[] = [];
  delayMs = 0;
  handled: SlaveRequest[] = [];

  constructor(readonly unit: number) {
    for (let i = 0; i < TABLE_SIZE; i++) this.holding[i] = (unit * 1000 + i) & 0xffff;
  }

  handle(request: SlaveRequest): SlaveResponse {
    this.handled.push(request);
    const end = request.address + ('count' in request ? request.count : 'values' in request ? request.values.length : 1);
    if (end > TABLE_SIZE) return { kind: 'exception', code: 0x02 };
    switch (request.fn) {
      case 0x01:
      case 0x02:
        return { kind: 'bits', values: Array.from(this.coils.subarray(request.address, end), (b) => b === 1) };
      case 0x03:
        return { kind: 'registers', values: Array.from(this.holding.subarray(request.address, end)) };
      case 0x04:
        return { kind: 'registers', values: Array.from(this.holding.subarray(request.address, end), (v) => (v + 1000) & 0xffff) };
      case 0x05:
        this.coils[request.address] = request.value ? 1 : 0;
        return { kind: 'write-ok' };
      case 0x06:
        this.holding[request.address] = request.value;
        return { kind: 'write-ok' };
      case 0x0f:
        request.values.forEach((v, i) => (this.coils[request.address + i] = v ? 1 : 0));
        return { kind: 'write-ok' };
      case 0x10:
        request.values.forEach((v, i) => (this.holding[request.address + i] = v));
        return { kind: 'write-ok' };
    }
  }

  wireFault(): WireFault | null {
    return this.faults.shift() ?? null;
  }

  responseDelayMs(): number {
    return this.delayMs;
  }
}

/** Resolves with the next 'request' event of a server. */
export async function nextRequest(server: ModbusSlaveServer): Promise<ServerRequestEvent> {
  const [event] = (await once(server, 'request')) as [ServerRequestEvent];
  return event;
}

/** Collects cleanup steps and runs them newest first (afterEach). */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];
  add<T>(step: () => Promise<unknown> | unknown, value: T): T {
    this.steps.push(step);
    return value;
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    }
  }
}

/** The settled outcome of a promise, for asserting on rejections by code. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string | undefined; error: Error }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code, error: err as Error };
  }
}
