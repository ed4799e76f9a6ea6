// Prometheus metrics of the running gateway on 127.0.0.1 (never on the mine network by default):
// poll latency and state per device, safety holds, store drops, upstream backlog.
import type { Capability, CapabilityContext } from './capability.js';
import { defineGatewayMetrics, type MetricsServer, MetricsRegistry, startMetricsServer } from './metrics.js';

export interface MetricsCapabilityOptions {
  host?: string;
  port?: number;
}

export class MetricsCapability implements Capability {
  readonly name = 'metrics';
  private server: MetricsServer | undefined;

  constructor(private readonly opts: MetricsCapabilityOptions = {}) {}

  get url(): string | undefined {
    return this.server?.url;
  }

  async start(ctx: CapabilityContext): Promise<void> {
    const registry = new MetricsRegistry();
    const m = defineGatewayMetrics(registry);
    let droppedSeen = 0;
    const ruleKinds = new Set<string>();
    // Collected on scrape only: nothing here runs on the polling path.
    registry.onCollect(() => {
      const s = ctx.status();
      for (const d of s.devices) {
        m.setDeviceState(d.id, d.state);
        if (d.lastLatencyMs !== null) m.pollLatency.set(d.lastLatencyMs / 1000, { bus: d.bus, device: d.id });
      }
      const byRule = new Map<string, number>();
      for (const h of s.holds) byRule.set(h.rule, (byRule.get(h.rule) ?? 0) + 1);
      for (const rule of byRule.keys()) ruleKinds.add(rule);
      // A rule whose holds all lifted reads 0, not its last count.
      for (const rule of ruleKinds) m.holds.set(byRule.get(rule) ?? 0, { kind: rule });
      if (s.store.dropped > droppedSeen) {
        m.dropped.inc(s.store.dropped - droppedSeen, { reason: 'reading-queue-full' });
        droppedSeen = s.store.dropped;
      }
    });
    this.server = await startMetricsServer(registry, { host: this.opts.host ?? '127.0.0.1', port: this.opts.port });
    ctx.logger.info({ url: this.server.url }, 'metrics served');
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
