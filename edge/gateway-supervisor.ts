// Owns the running gateway for `minegate run`: starts it from a config file and applies a new
// version of that file on SIGHUP (or `minegate reload`) without a process restart. A reload never
// touches buffered data (the store and the outbox stay open), never drops a hold, and never pauses
// protection: the safety kernel swaps the new config in beside the running one (Gateway.takeOver,
// SafetyKernel.reload), so no cycle is missed, no port reopens and no coil glitches. A reload that
// would loosen an interlock needs a safety officer.
import type { Capability } from './capability.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, type LoadedConfig, loadConfig } from './config/load-config.js';
import { Gateway } from './gateway.js';
import type { KernelReloadResult } from './kernel/protocol.js';
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
  /** What the safety kernel's swap did (applied reloads). */
  swap?: KernelReloadResult;
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

  private build(loaded: LoadedConfig, confirmedBy?: ReloadRequest['confirmedBy']): Gateway {
    return new Gateway(loaded, {
      dataDir: this.opts.dataDir,
      logger: this.opts.logger,
      clock: this.opts.clock,
      poller: this.opts.poller,
      capabilities: this.opts.capabilities?.(loaded) ?? [],
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
    // A swap, not stop-then-start: the kernel keeps protecting throughout (Gateway.takeOver).
    const fresh = this.build(next, req.confirmedBy);
    try {
      const swap = await fresh.takeOver(old);
      this.gateway = fresh;
      this.log.info({ loosening, confirmedBy: req.confirmedBy?.operator, reason: req.confirmedBy?.reason, swapMs: swap.swapMs, reopened: swap.reopened }, 'config reloaded');
      return { applied: true, loosening, swap };
    } catch (err) {
      const why = (err as Error).message;
      if (old.isStarted) {
        // The kernel refused: nothing changed.
        this.log.error({ err: why }, 'config reload refused by the safety kernel; still running the previous config');
        return { applied: false, loosening, refused: `the safety kernel refused the new config: ${why}` };
      }
      // The kernel runs the new config but a capability did not start: swap the previous one back.
      this.log.error({ err: why }, 'new config failed to start; going back to the previous one');
      this.gateway = fresh;
      const back = this.build(old.loaded);
      try {
        await back.takeOver(fresh);
        this.gateway = back;
      } catch (backErr) {
        // Protection stays (the kernel runs either config); only the optional parts are missing.
        this.log.error({ err: (backErr as Error).message }, 'the previous config did not come back either: interlocks run, capabilities are stopped');
        if (back.isStarted) this.gateway = back;
      }
      return { applied: false, loosening, refused: `new config failed to start: ${why}` };
    }
  }
}
