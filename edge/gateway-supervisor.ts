// Owns the running gateway for `minegate run`: starts it from a config file and applies a new
// version of that file on SIGHUP (or `minegate reload`) without a process restart. A reload never
// touches buffered data (the store and the outbox are files that stay), never drops a hold (holds
// are persisted and restored), and never cuts power just because it happened (warm start from the
// readings already in hand). A reload that would loosen an interlock needs a safety officer.
import type { Capability } from './capability.js';
import type { Clock } from './clock.js';
import { ConfigError, type LoadedConfig, loadConfig } from './config/load-config.js';
import { Gateway } from './gateway.js';
import type { Logger } from './log.js';
import type { PollerOptions } from './poller.js';
import { readFileSync } from 'node:fs';
import { takeConfirmation } from './reload-confirmation.js';
import { safetyLoosening } from './safety-diff.js';

export interface SupervisorOptions {
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  poller?: Partial<PollerOptions>;
  /** The optional parts for a given config (built anew on every reload). */
  capabilities?: (loaded: LoadedConfig) => Capability[];
  /** Adjust each loaded config before use (the demo points its sync section at its own platform). */
  prepare?: (loaded: LoadedConfig) => LoadedConfig;
}

export interface ReloadRequest {
  /** A safety officer who confirmed a loosening change, with the reason. */
  confirmedBy?: { operator: string; reason: string };
}

export interface ReloadResult {
  applied: boolean;
  /** Loosenings found (applied only when confirmed). */
  loosening: string[];
  /** Why nothing was applied. */
  refused?: string;
}

export class GatewaySupervisor {
  private gateway: Gateway | undefined;
  private reloading: Promise<ReloadResult> | undefined;
  private readonly log: Logger;

  constructor(
    readonly configFile: string,
    private readonly opts: SupervisorOptions,
  ) {
    this.log = opts.logger.child({ module: 'supervisor' });
  }

  get current(): Gateway {
    if (!this.gateway) throw new Error('gateway not started');
    return this.gateway;
  }

  async start(): Promise<Gateway> {
    const loaded = this.load();
    this.gateway = this.build(loaded);
    await this.gateway.start();
    return this.gateway;
  }

  /** Re-read the config file and apply it. Concurrent requests share one reload. */
  reload(req: ReloadRequest = {}): Promise<ReloadResult> {
    this.reloading ??= this.doReload(req).finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  async stop(): Promise<void> {
    await this.reloading?.catch(() => undefined);
    await this.gateway?.stop();
    this.gateway = undefined;
  }

  private load(): LoadedConfig {
    const loaded = loadConfig(this.configFile);
    return this.opts.prepare ? this.opts.prepare(loaded) : loaded;
  }

  private build(loaded: LoadedConfig, warmStart?: Gateway['points'], confirmedBy?: ReloadRequest['confirmedBy']): Gateway {
    return new Gateway(loaded, {
      dataDir: this.opts.dataDir,
      logger: this.opts.logger,
      clock: this.opts.clock,
      poller: this.opts.poller,
      capabilities: this.opts.capabilities?.(loaded) ?? [],
      warmStart: warmStart ? { readings: warmStart.latestReadings() } : undefined,
      ...(confirmedBy ? { confirmedBy } : {}),
    });
  }

  private async doReload(req: ReloadRequest): Promise<ReloadResult> {
    const old = this.current;
    let next: LoadedConfig;
    try {
      next = this.load();
    } catch (err) {
      // A broken file never replaces a working config.
      const why = err instanceof ConfigError ? err.message : (err as Error).message;
      this.log.error({ file: this.configFile }, `config reload refused: the file is not valid; still running the previous config\n${why}`);
      return { applied: false, loosening: [], refused: `invalid config: ${why}` };
    }
    const loosening = safetyLoosening(old.loaded.config, next.config);
    if (loosening.length > 0 && !req.confirmedBy) {
      // `minegate reload --user <safety officer>` leaves a confirmation for exactly this file.
      const c = takeConfirmation(this.opts.dataDir, readFileSync(this.configFile, 'utf8'));
      if (c) req = { confirmedBy: { operator: c.operator, reason: c.reason } };
    }
    if (loosening.length > 0 && !req.confirmedBy) {
      this.log.warn({ loosening }, 'config reload refused: it loosens interlocks and needs a safety officer (minegate reload --user <safety officer> --reason …)');
      return { applied: false, loosening, refused: 'loosens interlocks: needs a safety officer confirmation' };
    }
    await old.stop();
    const fresh = this.build(next, old.points, req.confirmedBy);
    try {
      await fresh.start();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'new config failed to start; going back to the previous one');
      await fresh.stop().catch(() => undefined);
      const back = this.build(old.loaded, old.points);
      await back.start();
      this.gateway = back;
      return { applied: false, loosening, refused: `new config failed to start: ${(err as Error).message}` };
    }
    this.gateway = fresh;
    this.log.info({ loosening, confirmedBy: req.confirmedBy?.operator, reason: req.confirmedBy?.reason }, 'config reloaded');
    return { applied: true, loosening };
  }
}
