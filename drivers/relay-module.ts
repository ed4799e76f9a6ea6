// A Modbus relay module as an output driver: each coil is written with high priority (ahead of
// queued polls) and confirmed by reading it back. An unreachable module counts as "not confirmed"
// for every output: fail-safe wiring means its coils drop out (power cut) when it loses power,
// but the gateway must not pretend to know.
import { EventEmitter } from 'node:events';
import type { Profile } from '../board-configs/profile-schema.js';
import type { OutputDriver, SetOptions } from './output-driver.js';

export type { OutputDriver } from './output-driver.js';

/** The part of protocols/modbus/master.ts the driver uses. */
export interface CoilMaster {
  read(unit: number, table: 'coil', address: number, count: number, opts?: { priority?: 'high' | 'normal' }): Promise<number[]>;
  write(unit: number, table: 'coil', address: number, values: number[], opts?: { priority?: 'high' | 'normal' }): Promise<void>;
}

export interface RelayModuleOptions {
  id: string;
  master: CoilMaster;
  /** Modbus unit id. */
  unit: number;
  /** Channel name → coil address (from the relay-module profile). */
  coils: Record<string, number>;
}

export interface RelayModuleEvents {
  offline: [Error];
  online: [];
}

export class RelayModuleDriver extends EventEmitter<RelayModuleEvents> implements OutputDriver {
  readonly id: string;
  private readonly master: CoilMaster;
  private readonly unit: number;
  private readonly coils: Map<string, number>;
  private readonly states = new Map<string, boolean>();
  /** undefined until the module has been used once. */
  private reachable: boolean | undefined;
  private lastErrorText: string | null = null;

  constructor(opts: RelayModuleOptions) {
    super();
    if (!opts || typeof opts.id !== 'string' || opts.id === '') throw new TypeError(`RelayModuleDriver: id must be a non-empty string, got ${String(opts?.id)}`);
    if (!opts.master || typeof opts.master.read !== 'function' || typeof opts.master.write !== 'function') {
      throw new TypeError(`RelayModuleDriver(${opts.id}): master must have read() and write()`);
    }
    if (!Number.isInteger(opts.unit) || opts.unit < 1 || opts.unit > 247) throw new TypeError(`RelayModuleDriver(${opts.id}): unit must be an integer 1..247, got ${String(opts.unit)}`);
    const coils = Object.entries(opts.coils ?? {});
    if (coils.length === 0) throw new TypeError(`RelayModuleDriver(${opts.id}): coils must name at least one channel`);
    for (const [name, address] of coils) {
      if (!Number.isInteger(address) || address < 0 || address > 65535) throw new TypeError(`RelayModuleDriver(${opts.id}): coil "${name}" address must be 0..65535, got ${String(address)}`);
    }
    this.id = opts.id;
    this.master = opts.master;
    this.unit = opts.unit;
    this.coils = new Map(coils);
  }

  /** A driver for the writable coil channels of a relay-module profile. */
  static fromProfile(id: string, profile: Profile, master: CoilMaster, unit: number): RelayModuleDriver {
    const coils = Object.fromEntries(
      Object.entries(profile.channels)
        .filter(([, ch]) => ch.table === 'coil' && ch.writable)
        .map(([name, ch]) => [name, ch.address]),
    );
    return new RelayModuleDriver({ id, master, unit, coils });
  }

  get online(): boolean {
    return this.reachable === true;
  }

  get lastError(): string | null {
    return this.lastErrorText;
  }

  get channels(): string[] {
    return [...this.coils.keys()];
  }

  async set(channel: string, on: boolean, opts: SetOptions = {}): Promise<boolean> {
    const address = this.coils.get(channel);
    if (address === undefined) throw new TypeError(`RelayModuleDriver(${this.id}): no coil channel "${channel}" (channels: ${this.channels.join(', ')})`);
    try {
      await this.master.write(this.unit, 'coil', address, [on ? 1 : 0], { priority: 'high' });
      if (opts.readBack === false) {
        // The module echoed the write: accepted without a second transaction on the bus.
        this.states.set(channel, on);
        this.markOnline();
        return true;
      }
      // Read back: a write acknowledgement says the request arrived, not that the coil moved.
      const [bit] = await this.master.read(this.unit, 'coil', address, 1, { priority: 'high' });
      const actual = bit !== undefined && bit !== 0;
      this.states.set(channel, actual);
      this.markOnline();
      if (actual !== on) {
        this.lastErrorText = `${channel} reads back ${actual ? 'on' : 'off'} after writing ${on ? 'on' : 'off'}`;
        return false;
      }
      return true;
    } catch (err) {
      this.markOffline(err);
      return false;
    }
  }

  state(channel: string): boolean | undefined {
    return this.states.get(channel);
  }

  /** Read all coils in one request. */
  async refresh(): Promise<boolean> {
    const addresses = [...this.coils.values()];
    const first = Math.min(...addresses);
    const count = Math.max(...addresses) - first + 1;
    try {
      const bits = await this.master.read(this.unit, 'coil', first, count, { priority: 'high' });
      for (const [name, address] of this.coils) this.states.set(name, (bits[address - first] ?? 0) !== 0);
      this.markOnline();
      return true;
    } catch (err) {
      this.markOffline(err);
      return false;
    }
  }

  private markOnline(): void {
    this.lastErrorText = null;
    if (this.reachable === true) return;
    this.reachable = true;
    this.emit('online');
  }

  private markOffline(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastErrorText = error.message;
    // Nothing is known about the coils of a module that does not answer.
    this.states.clear();
    if (this.reachable === false) return;
    this.reachable = false;
    this.emit('offline', error);
  }
}
