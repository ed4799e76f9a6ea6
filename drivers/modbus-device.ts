// A Modbus field device described by a profile: which blocks to read, and how the words become
// readings of the configured points. Knows devices, not scheduling (edge/poller.ts) nor bytes.
import type { DeviceConfig, PointConfig } from '../board-configs/schema.js';
import type { Channel, Profile } from '../board-configs/profile-schema.js';
import type { ModbusTable } from '../protocols/modbus/types.js';
import type { Quality, Reading } from '../core/readings.js';
import { toEngineering, widthOf } from './register-codec.js';

/** What a driver needs from a bus master (protocols/modbus/master.ts satisfies it). */
export interface ModbusPort {
  read(unit: number, table: ModbusTable, address: number, count: number, opts?: { timeoutMs?: number; priority?: 'high' | 'normal' }): Promise<number[]>;
  write(unit: number, table: 'coil' | 'holding', address: number, values: number[], opts?: { timeoutMs?: number; priority?: 'high' | 'normal' }): Promise<void>;
}

/** One read transaction: a contiguous range of one table. */
export interface ReadBlock {
  table: ModbusTable;
  address: number;
  count: number;
}

const MAX_REGISTERS = 125;
const MAX_BITS = 2000;
/** Only contiguous registers share a transaction: strict devices answer exception 02 to a read
 * that spans an unmapped hole, so reading across gaps would turn a healthy device "offline". */
const MAX_GAP = 0;

/** Smallest set of read blocks covering the given (table, address, width) spans. */
export function planBlocks(spans: { table: ModbusTable; address: number; width: number }[]): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byTable = new Map<ModbusTable, { address: number; width: number }[]>();
  for (const s of spans) {
    const list = byTable.get(s.table) ?? [];
    list.push(s);
    byTable.set(s.table, list);
  }
  for (const [table, list] of byTable) {
    const limit = table === 'coil' || table === 'discrete' ? MAX_BITS : MAX_REGISTERS;
    list.sort((a, b) => a.address - b.address);
    let cur: ReadBlock | undefined;
    for (const s of list) {
      const end = s.address + s.width;
      if (cur && s.address <= cur.address + cur.count + MAX_GAP && end - cur.address <= limit) {
        cur.count = Math.max(cur.count, end - cur.address);
      } else {
        cur = { table, address: s.address, count: s.width };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

interface BoundPoint {
  point: PointConfig;
  channel: Channel;
}

export class ModbusDevice {
  readonly id: string;
  readonly unit: number;
  readonly blocks: readonly ReadBlock[];
  private readonly bound: BoundPoint[];

  constructor(
    readonly config: DeviceConfig,
    readonly profile: Profile,
    points: readonly PointConfig[],
  ) {
    this.id = config.id;
    this.unit = config.unit;
    this.bound = points
      .filter((p) => p.device === config.id)
      .map((point) => {
        const channel = profile.channels[point.channel];
        if (!channel) throw new TypeError(`point ${point.code}: channel "${point.channel}" is not in profile ${profile.name}`);
        return { point, channel };
      });
    // A device with no configured points (a relay module) is still read in full, so that
    // "online" always means it really answered.
    const channels = this.bound.length > 0 ? this.bound.map((b) => b.channel) : Object.values(profile.channels);
    const spans = channels.map((channel) => ({ table: channel.table, address: channel.address, width: widthOf(channel.type) }));
    if (profile.status) spans.push({ table: profile.status.table, address: profile.status.address, width: 1 });
    this.blocks = planBlocks(spans);
  }

  /** Point codes this device produces. */
  get pointCodes(): string[] {
    return this.bound.map((b) => b.point.code);
  }

  /** Read every block (one transaction each) and decode the readings. Throws the bus error as-is. */
  async poll(port: ModbusPort, clock: { wall(): number; mono(): number }): Promise<Reading[]> {
    const words: number[][] = [];
    for (const block of this.blocks) words.push(await port.read(this.unit, block.table, block.address, block.count));
    return this.decode(words, clock.wall(), clock.mono());
  }

  /** Turn the words of `blocks` (same order) into readings. */
  decode(blockWords: readonly (readonly number[])[], wallTime: number, monoTime: number): Reading[] {
    const wordAt = (table: ModbusTable, address: number, width: number): number[] | undefined => {
      for (let i = 0; i < this.blocks.length; i++) {
        const b = this.blocks[i]!;
        if (b.table === table && address >= b.address && address + width <= b.address + b.count) {
          return blockWords[i]!.slice(address - b.address, address - b.address + width) as number[];
        }
      }
      return undefined;
    };
    const statusQuality = this.statusQuality(wordAt);
    return this.bound.map(({ point, channel }) => {
      const raw = wordAt(channel.table, channel.address, widthOf(channel.type));
      if (!raw || raw.length < widthOf(channel.type)) {
        return { point: point.code, value: null, unit: point.unit, quality: 'comm-fault', wallTime, monoTime, raw: [] };
      }
      const value = round(toEngineering(channel, raw));
      let quality: Quality = statusQuality;
      // A value outside the configured range cannot be trusted as a measurement (MT/T 1201 status 8).
      if (quality !== 'sensor-fault' && (value < point.range.low || value > point.range.high)) quality = 'over-range';
      return { point: point.code, value, unit: point.unit, quality, wallTime, monoTime, raw };
    });
  }

  /** Readings for every point when the device does not answer: no value, comm fault. */
  commFault(wallTime: number, monoTime: number): Reading[] {
    return this.bound.map(({ point }) => ({ point: point.code, value: null, unit: point.unit, quality: 'comm-fault' as const, wallTime, monoTime, raw: [] }));
  }

  private statusQuality(wordAt: (t: ModbusTable, a: number, w: number) => number[] | undefined): Quality {
    const status = this.profile.status;
    if (!status) return 'good';
    const word = wordAt(status.table, status.address, 1)?.[0];
    if (word === undefined) return 'comm-fault';
    const bit = (n: number | undefined): boolean => n !== undefined && (word & (1 << n)) !== 0;
    if (bit(status.bits.sensorFault)) return 'sensor-fault';
    if (bit(status.bits.overRange)) return 'over-range';
    if (bit(status.bits.calibrating)) return 'calibrating';
    return 'good';
  }
}

/** Engineering values carry float noise from scaling (0.35 = 35 * 0.01 → 0.35000000000000003). */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
