// The hardware watchdog of a simulated relay module, as Modbus relay modules with a watchdog
// behave: a heartbeat coil the master must keep toggling, and when it has not changed for
// `timeoutMs` the module de-energises its guarded coils by itself, whatever the master last wrote.
// A hung or stopped master (its event loop stalled, its process frozen) thus cannot keep power on.
//
// Chosen semantics (simulator/README.md, "Relay-module watchdog"):
// - Armed by the first heartbeat toggle after power-up (a module on the bench with no master does
//   not trip); a toggle is a write that changes the heartbeat coil — rewriting the same value does
//   not feed the watchdog, so a master stuck writing "on" is not mistaken for a live one.
// - Tripped: every guarded coil drops to off and latches. While the heartbeat is still missing,
//   a write to a latched coil is acknowledged but the coil stays off (the read-back tells the truth).
// - The heartbeat toggles again: the watchdog re-arms, the coils stay off. Each latched coil comes
//   back only when the master writes it on after that (as on real modules: no coil returns by itself).
import { EventEmitter } from 'node:events';
import type { ProfileDevice } from './virtual-device.js';

export interface RelayWatchdogConfig {
  /** The coil channel the master toggles. */
  heartbeat: string;
  /** Silence of the heartbeat (ms) after which the guarded coils drop. */
  timeoutMs: number;
  /** The coils dropped on a trip; default every writable coil but the heartbeat. */
  coils?: readonly string[];
}

export type RelayWatchdogState = 'waiting' | 'armed' | 'tripped';

export interface RelayWatchdogEvents {
  /** The heartbeat was silent for `silentMs`; `coils` were de-energised. */
  trip: [{ coils: string[]; silentMs: number }];
  /** The heartbeat toggled again after a trip; `latched` coils stay off until written on. */
  rearm: [{ latched: string[] }];
}

export class RelayWatchdog extends EventEmitter<RelayWatchdogEvents> {
  readonly heartbeat: string;
  readonly timeoutMs: number;
  readonly coils: readonly string[];
  private current: RelayWatchdogState = 'waiting';
  private readonly latched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastToggle = 0;
  private tripCount = 0;
  private toggleCount = 0;

  constructor(
    private readonly device: ProfileDevice,
    config: RelayWatchdogConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    if (!device.channels.includes(config.heartbeat)) throw new TypeError(`RelayWatchdog: the device has no heartbeat channel "${config.heartbeat}"`);
    if (!Number.isInteger(config.timeoutMs) || config.timeoutMs < 1) throw new TypeError(`RelayWatchdog: timeoutMs must be a positive integer, got ${String(config.timeoutMs)}`);
    this.heartbeat = config.heartbeat;
    this.timeoutMs = config.timeoutMs;
    this.coils = config.coils ? [...config.coils] : writableCoils(device).filter((c) => c !== config.heartbeat);
    device.setCoilGate((channel, requested, current) => this.gate(channel, requested, current));
  }

  get state(): RelayWatchdogState {
    return this.current;
  }

  /** Trips since start. */
  get trips(): number {
    return this.tripCount;
  }

  /** Heartbeat toggles seen since start. */
  get toggles(): number {
    return this.toggleCount;
  }

  /** Coils held off by the last trip that the master has not written since it re-armed. */
  get latchedCoils(): string[] {
    return [...this.latched];
  }

  /** Timer off, the module's coils plain again (simulator stop). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.device.setCoilGate(null);
  }

  private gate(channel: string, requested: boolean, current: boolean): boolean {
    if (channel === this.heartbeat) {
      if (requested !== current) this.toggled();
      return requested;
    }
    if (!this.latched.has(channel)) return requested;
    // Held off while the heartbeat is missing; once it is back, the master's write decides.
    if (this.current === 'tripped') return false;
    this.latched.delete(channel);
    return requested;
  }

  private toggled(): void {
    this.toggleCount++;
    this.lastToggle = this.now();
    const wasTripped = this.current === 'tripped';
    this.current = 'armed';
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trip(), this.timeoutMs);
    this.timer.unref();
    if (wasTripped) this.emit('rearm', { latched: this.latchedCoils });
  }

  private trip(): void {
    this.timer = undefined;
    this.current = 'tripped';
    this.tripCount++;
    for (const coil of this.coils) {
      this.latched.add(coil);
      this.device.set(coil, false);
    }
    this.emit('trip', { coils: [...this.coils], silentMs: Math.round(this.now() - this.lastToggle) });
  }
}

/** The relay outputs a master can write (profile coils marked writable). */
export function writableCoils(device: ProfileDevice): string[] {
  return Object.entries(device.profile.channels)
    .filter(([, ch]) => ch.table === 'coil' && ch.writable)
    .map(([name]) => name);
}
