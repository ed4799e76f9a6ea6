// Polls the devices of one bus on their intervals, one transaction at a time (the master
// serialises anyway; a sequential loop keeps the queue empty so actuation never waits behind it).
// A device that stops answering is marked offline after N failed polls and quarantined to a slow
// probe, so it costs the healthy devices at most one response timeout per probe.
import { OFFLINE_PROBE_DEFAULT_MS } from '../board-configs/kernel-constants.js';
import type { ModbusDevice, ModbusPort } from '../drivers/modbus-device.js';
import { exponentialDelay } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import type { Reading } from '../core/readings.js';

export type DeviceState = 'unknown' | 'online' | 'offline';

export interface DeviceStatus {
  id: string;
  bus: string;
  unit: number;
  state: DeviceState;
  consecutiveFailures: number;
  polls: number;
  failures: number;
  /** Duration of the last successful poll, ms. */
  lastLatencyMs: number | null;
  lastOkWall: number | null;
  lastError: string | null;
  /** Interval in force now (normal, accelerated or quarantine probe). */
  intervalMs: number;
}

export interface PollerOptions {
  /** Consecutive failed polls before a device is declared offline. */
  offlineAfterFailures: number;
  /** First retry delay after a failed poll; doubles per failure, never beyond the poll interval. */
  retryBackoffMs: number;
  /** Probe interval for an offline device (the bus's `offlineProbeMs`). */
  probeMs: number;
}

export const defaultPollerOptions: PollerOptions = {
  offlineAfterFailures: 3,
  retryBackoffMs: 250,
  // A probe is one poll that stops at its first failed read: one response timeout at most.
  probeMs: OFFLINE_PROBE_DEFAULT_MS,
};

export interface PollerHooks {
  onReadings(readings: Reading[], device: DeviceStatus): void;
  onDeviceState?(device: DeviceStatus, reason: string): void;
}

interface Entry {
  device: ModbusDevice;
  status: DeviceStatus;
  due: number;
  accelerated: boolean;
  /** Schedule and health carried over from the poller this one replaces (a reload). */
  carried: boolean;
}

export class BusPoller {
  private readonly entries: Entry[];
  private readonly opts: PollerOptions;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeResolve: (() => void) | undefined;

  constructor(
    readonly busId: string,
    private readonly port: ModbusPort,
    devices: readonly ModbusDevice[],
    private readonly clock: Clock,
    private readonly hooks: PollerHooks,
    opts: Partial<PollerOptions> = {},
    /**
     * A reload: the poller of the running config on the same bus. Devices it polls (same id and
     * unit) keep their schedule and health, so a swap costs no poll and a
     * device that was offline is not "unknown" again.
     */
    continueFrom?: BusPoller,
  ) {
    this.opts = { ...defaultPollerOptions, ...opts };
    for (const [k, v] of Object.entries(this.opts)) {
      if (!Number.isFinite(v) || v < 0) throw new TypeError(`BusPoller ${busId}: option ${k} must be a non-negative number, got ${v}`);
    }
    this.entries = devices.map((device) => {
      const before = continueFrom?.entries.find((e) => e.device.id === device.id && e.device.unit === device.unit);
      // Accelerated patrol is the new loop's to ask for again (its first cycle does, while an alarm lasts).
      if (before) return { device, due: before.due, accelerated: false, carried: true, status: { ...before.status, bus: busId } };
      return {
        device,
        due: 0,
        accelerated: false,
        carried: false,
        status: {
          id: device.id,
          bus: busId,
          unit: device.unit,
          state: 'unknown',
          consecutiveFailures: 0,
          polls: 0,
          failures: 0,
          lastLatencyMs: null,
          lastOkWall: null,
          lastError: null,
          intervalMs: device.config.pollMs,
        },
      };
    });
    // A carried device whose intervals changed follows the new ones from its next poll.
    for (const e of this.entries) if (e.carried && e.status.state !== 'offline') e.status.intervalMs = this.intervalOf(e);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.mono();
    for (const e of this.entries) if (!e.carried) e.due = now;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
  }

  statuses(): DeviceStatus[] {
    return this.entries.map((e) => ({ ...e.status }));
  }

  /** Poll at the device's alarm interval (AQ 6201 accelerated patrol) while `on`. */
  setAccelerated(deviceId: string, on: boolean): void {
    const e = this.entries.find((x) => x.device.id === deviceId);
    if (!e || e.accelerated === on) return;
    e.accelerated = on;
    if (e.status.state !== 'offline') {
      e.status.intervalMs = this.intervalOf(e);
      e.due = Math.min(e.due, this.clock.mono() + e.status.intervalMs);
      this.wake();
    }
  }

  /** The link came back: probe offline devices now instead of waiting for their slow probe. */
  probeOfflineNow(): void {
    const now = this.clock.mono();
    for (const e of this.entries) if (e.status.state === 'offline') e.due = now;
    this.wake();
  }

  private intervalOf(e: Entry): number {
    const cfg = e.device.config;
    return e.accelerated && cfg.alarmPollMs ? Math.min(cfg.alarmPollMs, cfg.pollMs) : cfg.pollMs;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let next: Entry | undefined;
      for (const e of this.entries) if (!next || e.due < next.due) next = e;
      if (!next) return;
      const wait = next.due - this.clock.mono();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      await this.pollOne(next);
    }
  }

  private async pollOne(e: Entry): Promise<void> {
    const started = this.clock.mono();
    const s = e.status;
    s.polls++;
    try {
      const readings = await e.device.poll(this.port, this.clock);
      const now = this.clock.mono();
      s.lastLatencyMs = now - started;
      s.lastOkWall = this.clock.wall();
      s.consecutiveFailures = 0;
      s.lastError = null;
      if (s.state !== 'online') {
        const was = s.state;
        s.state = 'online';
        s.intervalMs = this.intervalOf(e);
        this.hooks.onDeviceState?.({ ...s }, was === 'offline' ? 'answered a probe: back online' : 'first poll answered');
      }
      // Fixed rate: keep the cadence even when a poll was late; never queue up missed polls.
      e.due = Math.max(e.due + s.intervalMs, now);
      this.hooks.onReadings(readings, s);
    } catch (err) {
      if (!this.running) return;
      const now = this.clock.mono();
      s.failures++;
      s.consecutiveFailures++;
      s.lastError = describe(err);
      if (s.state === 'offline') {
        e.due = now + this.opts.probeMs;
        this.hooks.onReadings(e.device.commFault(this.clock.wall(), now), s);
      } else if (s.consecutiveFailures >= this.opts.offlineAfterFailures) {
        s.state = 'offline';
        s.intervalMs = this.opts.probeMs;
        e.due = now + this.opts.probeMs;
        this.hooks.onDeviceState?.({ ...s }, `${s.consecutiveFailures} polls failed (last: ${s.lastError}); probing every ${this.opts.probeMs} ms`);
        this.hooks.onReadings(e.device.commFault(this.clock.wall(), now), s);
      } else {
        e.due = now + exponentialDelay(this.opts.retryBackoffMs, this.intervalOf(e), s.consecutiveFailures - 1);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeResolve = resolve;
      this.wakeTimer = setTimeout(() => this.wake(), ms);
    });
  }

  private wake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const r = this.wakeResolve;
    this.wakeResolve = undefined;
    r?.();
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    const msg = (err as { message?: unknown }).message;
    return code ? `${String(code)}: ${String(msg)}` : String(msg);
  }
  return String(err);
}
