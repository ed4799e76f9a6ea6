// What the gateway does with a verified platform command (sync/downlink.ts has already checked its
// signature, lifetime and nonce). Each handler's result (or error) goes back upstream as the
// command's `completed` (or `failed`) ack.
//   cutoff          { zones: string[], durationMs?, reason?, operator? }  → remote cut (异地断电)
//                   { action: 'release', cutId, operator? }               → lift a platform cut
//   evacuate        { areas: string[], reason?, by? }                     → personnel evacuation
//                   { action: 'stand-down', reason?, by? }                → stand it down
//   weather-warning { level?, message? }      → logged; evacuates sync.weatherEvacuation.areas when configured
//   time-sync       { platformTime? }         → the offset is logged and reported; the clock is never stepped here
import type { Command } from '../downlink.js';
import type { SyncLogger } from '../sync-error.js';
import type { PersonnelSource } from './personnel-feed.js';
import { MinegateError } from '../../core/minegate-error.js';

/** The parts of the safety loop a remote cut needs (edge/kernel/safety-client.ts SafetyClient fits). */
export interface RemoteCutTarget {
  engine: {
    plan: { zones: ReadonlyMap<string, readonly string[]> };
    remoteCut(cmd: { id: string; zones: string[]; authority: string; operator: string; reason: string; durationMs: number }, now: number): Promise<void>;
    remoteRelease(cmd: { id: string; authority: string; operator: string }, now: number): Promise<void>;
  };
  outputs(): readonly { id: string; energize: boolean; confirmed: boolean | null }[];
}

export interface PlatformCommandOptions {
  safety: RemoteCutTarget;
  /** Looked up per command: positioning may be absent. */
  personnel: () => PersonnelSource | undefined;
  mono: () => number;
  wall: () => number;
  /** Authority a platform cut is recorded under (must be allowed by safety.remoteCut.authorities). */
  authority: string;
  defaultCutDurationMs: number;
  weatherEvacuationAreas: readonly string[] | null;
  /** How long a cut waits for the relay module to confirm before it is acked unconfirmed. */
  confirmWithinMs: number;
  logger: SyncLogger;
}

export const PLATFORM_COMMAND_DEFAULTS = { confirmWithinMs: 3_000 } as const;

/** A platform command that cannot be carried out here, with a machine-readable code for the ack. */
export class PlatformCommandError extends MinegateError<'bad-args' | 'no-personnel' | 'refused'> {
  override readonly name = 'PlatformCommandError';
  constructor(
    code: 'bad-args' | 'no-personnel' | 'refused',
    message: string,
  ) {
    super(code, `${code}: ${message}`);
  }
}

export interface TimeSyncReport {
  /** Platform time minus local time when the command was handled, ms (positive: we are behind). */
  offsetMs: number;
  at: number;
  commandId: string;
}

export class PlatformCommands {
  lastTimeSync: TimeSyncReport | null = null;
  lastWeatherWarning: { at: number; level: string | null; message: string | null } | null = null;

  constructor(private readonly o: PlatformCommandOptions) {}

  async cutoff(cmd: Command): Promise<unknown> {
    const a = cmd.args;
    const operator = optionalText(a, 'operator') ?? 'platform';
    if (a['action'] === 'release') {
      const cutId = requiredText(a, 'cutId');
      await this.refusableAsync(() => this.o.safety.engine.remoteRelease({ id: cutId, authority: this.o.authority, operator }, this.o.mono()));
      this.o.logger.warn({ commandId: cmd.id, cutId }, 'platform released a remote cut');
      return { released: cutId };
    }
    if (a['action'] !== undefined && a['action'] !== 'cut') throw new PlatformCommandError('bad-args', `action must be "cut" or "release", got ${JSON.stringify(a['action'])}`);
    const zones = textList(a, 'zones');
    const durationMs = a['durationMs'] === undefined ? this.o.defaultCutDurationMs : a['durationMs'];
    if (typeof durationMs !== 'number' || !Number.isSafeInteger(durationMs) || durationMs <= 0) throw new PlatformCommandError('bad-args', `durationMs must be a positive integer, got ${JSON.stringify(durationMs)}`);
    // The platform's command id names the cut, so a release can name it too.
    const id = `platform-${cmd.id}`;
    const reason = optionalText(a, 'reason') ?? `remote cut ordered by the platform (command ${cmd.id})`;
    await this.refusableAsync(() => this.o.safety.engine.remoteCut({ id, zones, authority: this.o.authority, operator, reason, durationMs }, this.o.mono()));
    const outputs = [...new Set(zones.flatMap((z) => this.o.safety.engine.plan.zones.get(z) ?? []))];
    this.o.logger.warn({ commandId: cmd.id, zones, outputs, durationMs }, 'platform ordered a remote cut');
    const confirmed = await this.waitForCut(outputs);
    return { cutId: id, zones, outputs, durationMs, confirmed };
  }

  evacuate(cmd: Command): unknown {
    const a = cmd.args;
    const personnel = this.o.personnel();
    if (!personnel) throw new PlatformCommandError('no-personnel', 'no personnel positioning runs on this gateway');
    const by = optionalText(a, 'by') ?? 'platform';
    if (a['action'] === 'stand-down') {
      const reason = optionalText(a, 'reason') ?? `stood down by the platform (command ${cmd.id})`;
      this.refusable(() => personnel.engine.endEvacuation({ by, reason, source: 'upstream' }));
      return { stoodDown: true };
    }
    if (a['action'] !== undefined && a['action'] !== 'start') throw new PlatformCommandError('bad-args', `action must be "start" or "stand-down", got ${JSON.stringify(a['action'])}`);
    const areas = textList(a, 'areas');
    const reason = optionalText(a, 'reason') ?? `evacuation ordered by the platform (command ${cmd.id})`;
    const view = this.refusable(() => personnel.engine.startEvacuation({ areas, reason, source: 'upstream', by }));
    this.o.logger.warn({ commandId: cmd.id, areas }, 'platform ordered an evacuation');
    return { evacuationId: view.id, areas: view.areas.map((x) => x.area), inside: view.insideCount };
  }

  weatherWarning(cmd: Command): unknown {
    const level = optionalText(cmd.args, 'level');
    const message = optionalText(cmd.args, 'message');
    this.lastWeatherWarning = { at: this.o.wall(), level, message };
    this.o.logger.warn({ commandId: cmd.id, level, message }, 'extreme-weather warning from the platform');
    const areas = this.o.weatherEvacuationAreas;
    if (!areas) return { evacuated: false, why: 'sync.weatherEvacuation is not configured' };
    const personnel = this.o.personnel();
    if (!personnel) throw new PlatformCommandError('no-personnel', 'sync.weatherEvacuation is configured but no personnel positioning runs on this gateway');
    const reason = `extreme-weather warning${level ? ` (${level})` : ''}${message ? `: ${message}` : ''} (command ${cmd.id})`;
    const view = this.refusable(() => personnel.engine.startEvacuation({ areas: [...areas], reason, source: 'upstream', by: 'platform' }));
    return { evacuated: true, evacuationId: view.id, areas: view.areas.map((x) => x.area) };
  }

  timeSync(cmd: Command): TimeSyncReport {
    const t = cmd.args['platformTime'] ?? cmd.issuedAt;
    if (typeof t !== 'number' || !Number.isSafeInteger(t)) throw new PlatformCommandError('bad-args', `platformTime must be an integer ms epoch, got ${JSON.stringify(t)}`);
    const at = this.o.wall();
    const report: TimeSyncReport = { offsetMs: t - at, at, commandId: cmd.id };
    this.lastTimeSync = report;
    // Stepping the clock under a running interlock engine is the operating system's job (NTP/chrony):
    // we report the difference so a technician can act, and never change time ourselves.
    const level = Math.abs(report.offsetMs) > 5_000 ? 'warn' : 'info';
    this.o.logger[level]({ commandId: cmd.id, offsetMs: report.offsetMs }, `platform time differs from the local clock by ${report.offsetMs} ms (not stepped; fix the clock with NTP)`);
    return report;
  }

  /** The kernel answers commands asynchronously; a refusal arrives as a rejection. */
  private async refusableAsync(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new PlatformCommandError('refused', `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}`);
    }
  }

  private refusable<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new PlatformCommandError('refused', `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}`);
    }
  }

  /** True once every output is confirmed cut by its module, false after confirmWithinMs. */
  private async waitForCut(outputs: readonly string[]): Promise<boolean> {
    const deadline = this.o.mono() + this.o.confirmWithinMs;
    for (;;) {
      const state = this.o.safety.outputs();
      const done = outputs.every((id) => {
        const s = state.find((x) => x.id === id);
        return s !== undefined && !s.energize && s.confirmed === true;
      });
      if (done) return true;
      if (this.o.mono() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function requiredText(a: Record<string, unknown>, key: string): string {
  const v = a[key];
  if (typeof v !== 'string' || v.trim() === '') throw new PlatformCommandError('bad-args', `${key} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function optionalText(a: Record<string, unknown>, key: string): string | null {
  return a[key] === undefined ? null : requiredText(a, key);
}

function textList(a: Record<string, unknown>, key: string): string[] {
  const v = a[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x.trim() !== '')) {
    throw new PlatformCommandError('bad-args', `${key} must be a non-empty list of names, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}
