// Prometheus metrics and /healthz of the running gateway on 127.0.0.1 (never on the mine network
// by default): see edge/gateway-metrics.ts for the series and edge/healthz.ts for the health bound.
import type { Capability, CapabilityContext } from './capability.js';
import { defineGatewayCollector } from './gateway-metrics.js';
import { HEALTH_MAX_CYCLE_AGE_MS, kernelHealth } from './healthz.js';
import { type MetricsServer, MetricsRegistry, startMetricsServer } from './metrics.js';

export interface MetricsCapabilityOptions {
  host?: string;
  port?: number;
  /** /healthz answers 503 when the kernel's last cycle is older than this (default HEALTH_MAX_CYCLE_AGE_MS). */
  maxCycleAgeMs?: number;
}

export class MetricsCapability implements Capability {
  readonly name = 'metrics';
  private server: MetricsServer | undefined;

  constructor(private readonly opts: MetricsCapabilityOptions = {}) {}

  get url(): string | undefined {
    return this.server?.url;
  }

  /** The port actually bound (the one asked for, or the free one port 0 picked). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async start(ctx: CapabilityContext): Promise<void> {
    const registry = new MetricsRegistry();
    const collector = defineGatewayCollector(registry, ctx.loaded);
    // A few comparisons per poll batch in the main process; the kernel never waits on it.
    ctx.onReadings((_readings, device) => collector.observePoll(device));
    // Everything else is read at scrape time only.
    registry.onCollect(() => collector.collect(ctx.status()));
    const bound = this.opts.maxCycleAgeMs ?? HEALTH_MAX_CYCLE_AGE_MS;
    this.server = await startMetricsServer(registry, { host: this.opts.host ?? '127.0.0.1', port: this.opts.port, health: () => kernelHealth(ctx.status().kernel, bound) });
    ctx.logger.info({ url: this.server.url }, 'metrics served');
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
