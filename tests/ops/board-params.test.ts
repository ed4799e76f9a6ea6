// BoardParams on its own, against a scripted in-memory port (a unit test of one module): the cases
// a real board produces but the simulator does not — no reply to the renumbering write, a board
// that ignores a write, a baud change read back through a port at the new speed.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../board-configs/profiles.js';
import { BoardParamError, BoardParams } from '../../drivers/board-params.js';
import type { ModbusPort } from '../../drivers/modbus-device.js';
import { ModbusError } from '../../protocols/modbus/errors.js';

/** Holding registers per unit; `onWrite` decides what the board does with a write. */
class ScriptedPort implements ModbusPort {
  readonly regs = new Map<number, Map<number, number>>();
  readonly log: string[] = [];
  onWrite: (unit: number, address: number, values: number[]) => 'ok' | 'ignore' | 'renumber-silently' = () => 'ok';

  constructor(unit: number, init: Record<number, number>) {
    this.regs.set(unit, new Map(Object.entries(init).map(([a, v]) => [Number(a), v])));
  }

  async read(unit: number, _table: string, address: number, count: number): Promise<number[]> {
    this.log.push(`read ${unit}:${address}`);
    const regs = this.regs.get(unit);
    if (!regs) throw new ModbusError('timeout', `unit ${unit}: no reply`, { unit });
    return Array.from({ length: count }, (_, i) => regs.get(address + i) ?? 0);
  }

  async write(unit: number, _table: string, address: number, values: number[]): Promise<void> {
    this.log.push(`write ${unit}:${address}=${values.join(',')}`);
    const regs = this.regs.get(unit)!;
    const what = this.onWrite(unit, address, values);
    if (what === 'ignore') return;
    values.forEach((v, i) => regs.set(address + i, v));
    if (address === 100) {
      this.regs.delete(unit);
      this.regs.set(values[0]!, regs);
      if (what === 'renumber-silently') throw new ModbusError('timeout', `unit ${unit}: no reply`, { unit });
    }
  }
}

const methane = loadProfile('methane-sensor');
const board = (): ScriptedPort => new ScriptedPort(1, { 100: 1, 101: 96, 102: 0, 103: 1000, 104: 100, 105: 4 });

describe('BoardParams', () => {
  it('a board that renumbers before replying is still verified on its new unit id', async () => {
    const port = board();
    port.onWrite = () => 'renumber-silently';
    const params = new BoardParams(port, 1, methane);
    const change = await params.write('unit-id', 9);
    expect(change).toMatchObject({ before: 1, after: 9, verified: true, unitBefore: 1, unitAfter: 9 });
    expect(params.unit).toBe(9);
    expect(port.log.at(-1)).toBe('read 9:100');
  });

  it('a board that ignores the write is reported unverified, with both values', async () => {
    const port = board();
    port.onWrite = () => 'ignore';
    const change = await new BoardParams(port, 1, methane).write('alarm-point', 1.2);
    expect(change).toMatchObject({ before: 1, requested: 1.2, after: 1, verified: false });
    expect(change.note).toMatch(/read back 1, expected 1\.2/);
  });

  it('writeAll checks everything first, writes link parameters last, stops at the first failure', async () => {
    const port = board();
    const params = new BoardParams(port, 1, methane);
    await expect(params.writeAll({ zero: 0.1, span: 9 })).rejects.toBeInstanceOf(BoardParamError);
    expect(port.log.filter((l) => l.startsWith('write'))).toEqual([]);
    const changes = await params.writeAll({ 'unit-id': 5, zero: -0.05, averaging: 8 });
    expect(changes.map((c) => [c.param, c.verified])).toEqual([['zero', true], ['averaging', true], ['unit-id', true]]);
    expect(port.log.filter((l) => l.startsWith('write'))).toEqual(['write 1:102=65531', 'write 1:105=8', 'write 1:100=5']);
    port.onWrite = (_u, address) => (address === 103 ? 'ignore' : 'ok');
    const partial = await params.writeAll({ span: 1.1, averaging: 2 });
    expect(partial.map((c) => [c.param, c.verified])).toEqual([['span', false]]);
  });

  it('a baud change is read back through the port at the new speed when one is given', async () => {
    const port = board();
    const atNewSpeed = new ScriptedPort(1, { 101: 192 });
    const speeds: number[] = [];
    const change = await new BoardParams(port, 1, methane).write('baud-rate', 19200, {
      portAtBaud: async (baud) => {
        speeds.push(baud);
        return atNewSpeed;
      },
    });
    expect(speeds).toEqual([19200]);
    expect(change).toMatchObject({ before: 9600, after: 19200, verified: true });
    expect(atNewSpeed.log).toEqual(['read 1:101']);
  });

  it('validates its constructor arguments', () => {
    expect(() => new BoardParams(board(), 0, methane)).toThrow(/unit must be an integer 1\.\.247, got 0/);
    expect(() => new BoardParams({} as ModbusPort, 1, methane)).toThrow(TypeError);
    expect(() => new BoardParams(board(), 1, methane, { timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});
