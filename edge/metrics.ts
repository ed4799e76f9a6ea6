// Prometheus metrics of the gateway: a registry of gauges and counters with labels, rendered in
// the Prometheus text exposition format 0.0.4, served on node:http bound to 127.0.0.1 (a scraper on
// the box, or an SSH tunnel, reads it; nothing on the mine network can). Sources either push
// values (set/inc) or register a collector that is called at each scrape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const METRICS_DEFAULTS = {
  host: '127.0.0.1',
  port: 9464,
  path: '/metrics',
  healthPath: '/healthz',
} as const;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type Labels = Readonly<Record<string, string | number>>;

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  abstract readonly type: 'gauge' | 'counter' | 'histogram';

  constructor(opts: MetricOptions) {
    if (!opts || typeof opts !== 'object') throw new TypeError(`metric options must be an object, got ${String(opts)}`);
    if (typeof opts.name !== 'string' || !METRIC_NAME.test(opts.name)) throw new TypeError(`metric name ${JSON.stringify(opts.name)} must match ${METRIC_NAME}`);
    if (typeof opts.help !== 'string' || opts.help.trim() === '') throw new TypeError(`metric ${opts.name} needs a help text`);
    const labelNames = opts.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new TypeError(`metric ${opts.name}: label name ${JSON.stringify(l)} must match ${LABEL_NAME} and not start with __`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new TypeError(`metric ${opts.name}: duplicate label names ${labelNames.join(', ')}`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = [...labelNames];
  }

  /** Current value for these labels (undefined if never set). */
  get(labels: Labels = {}): number | undefined {
    return this.values.get(this.key(labels))?.value;
  }

  /** Forget one label set (a device removed from the config). */
  remove(labels: Labels = {}): void {
    this.values.delete(this.key(labels));
  }

  reset(): void {
    this.values.clear();
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values()) {
      const names = this.labelNames.filter((n) => labels[n] !== undefined);
      const labelText = names.length > 0 ? `{${names.map((n) => `${n}="${escapeLabelValue(labels[n]!)}"`).join(',')}}` : '';
      lines.push(`${this.name}${labelText} ${formatValue(value)}`);
    }
    return lines.join('\n');
  }

  protected update(labels: Labels, fn: (old: number) => number): void {
    const key = this.key(labels);
    const current = this.values.get(key);
    const value = fn(current?.value ?? 0);
    if (typeof value !== 'number') throw new TypeError(`metric ${this.name}: value must be a number, got ${typeof value}`);
    this.values.set(key, { labels: current?.labels ?? this.normalise(labels), value });
  }

  private normalise(labels: Labels): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of this.labelNames) out[n] = String(labels[n]);
    return out;
  }

  /** Exactly the declared labels, every time: a typo would otherwise start a new silent series. */
  protected key(labels: Labels): string {
    if (labels === null || typeof labels !== 'object') throw new TypeError(`metric ${this.name}: labels must be an object`);
    const given = Object.keys(labels);
    const missing = this.labelNames.filter((n) => labels[n] === undefined);
    const extra = given.filter((n) => !this.labelNames.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new TypeError(`metric ${this.name} takes labels {${this.labelNames.join(', ')}}; missing: ${missing.join(', ') || 'none'}, unknown: ${extra.join(', ') || 'none'}`);
    }
    return JSON.stringify(this.labelNames.map((n) => String(labels[n])));
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;

  set(value: number, labels: Labels = {}): void {
    this.update(labels, () => value);
  }

  inc(by = 1, labels: Labels = {}): void {
    this.update(labels, (old) => old + by);
  }

  dec(by = 1, labels: Labels = {}): void {
    this.update(labels, (old) => old - by);
  }
}

export class Counter extends Metric {
  readonly type = 'counter' as const;

  constructor(opts: MetricOptions) {
    super(opts);
    if (!opts.name.endsWith('_total')) throw new TypeError(`counter ${opts.name} must end in _total (Prometheus naming)`);
  }

  /** Counters only go up; a negative step is a bug in the caller. */
  inc(by = 1, labels: Labels = {}): void {
    if (!Number.isFinite(by) || by < 0) throw new TypeError(`counter ${this.name}: increment must be a finite number >= 0, got ${String(by)}`);
    this.update(labels, (old) => old + by);
  }

  /**
   * A total the source keeps itself (the kernel's poll counts, the writer's rows): exposed as it
   * is. A smaller value than before means the source restarted (a reload), which Prometheus reads
   * as a counter reset; that is the truth, so it is not hidden.
   */
  setTotal(total: number, labels: Labels = {}): void {
    if (!Number.isFinite(total) || total < 0) throw new TypeError(`counter ${this.name}: total must be a finite number >= 0, got ${String(total)}`);
    this.update(labels, () => total);
  }
}

/** Prometheus client libraries' default buckets, seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Observations into cumulative buckets (`le`), with `_sum` and `_count`. Each label set keeps its
 * own bucket counts; `zero(labels)` makes a series appear before its first observation.
 */
export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  private readonly state = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(opts: MetricOptions & { buckets?: readonly number[] }) {
    super(opts);
    const buckets = [...(opts.buckets ?? DEFAULT_BUCKETS)];
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) throw new TypeError(`histogram ${opts.name}: buckets must be finite and strictly increasing, got ${buckets.join(', ')}`);
    if ((opts.labelNames ?? []).includes('le')) throw new TypeError(`histogram ${opts.name}: "le" is the bucket label`);
    this.buckets = buckets;
  }

  observe(value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram ${this.name}: observation must be finite, got ${String(value)}`);
    const s = this.entry(labels);
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** The series exists with zero observations (a configured device that has not answered yet). */
  zero(labels: Labels = {}): void {
    this.entry(labels);
  }

  /** Observations so far for these labels (tests, status). */
  count(labels: Labels = {}): number {
    return this.state.get(this.key(labels))?.count ?? 0;
  }

  override remove(labels: Labels = {}): void {
    this.state.delete(this.key(labels));
  }

  override reset(): void {
    this.state.clear();
  }

  override render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.state.values()) {
      const base = this.labelNames.map((n) => `${n}="${escapeLabelValue(String(labels[n]))}"`);
      const withLe = (le: string) => `{${[...base, `le="${le}"`].join(',')}}`;
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${withLe(formatValue(b))} ${counts[i]}`));
      lines.push(`${this.name}_bucket${withLe('+Inf')} ${count}`);
      const plain = base.length > 0 ? `{${base.join(',')}}` : '';
      lines.push(`${this.name}_sum${plain} ${formatValue(sum)}`, `${this.name}_count${plain} ${count}`);
    }
    return lines.join('\n');
  }

  private entry(labels: Labels): { labels: Labels; counts: number[]; sum: number; count: number } {
    const key = this.key(labels);
    let s = this.state.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.state.set(key, s);
    }
    return s;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Gauge | Counter | Histogram>();
  private readonly collectors = new Set<() => void>();
  private readonly collectErrors: Counter;

  constructor() {
    this.collectErrors = this.counter({ name: 'minegate_metrics_collect_errors_total', help: 'Collectors that threw during a scrape (their metrics may be stale).' });
  }

  gauge(opts: MetricOptions): Gauge {
    return this.add(new Gauge(opts));
  }

  counter(opts: MetricOptions): Counter {
    return this.add(new Counter(opts));
  }

  histogram(opts: MetricOptions & { buckets?: readonly number[] }): Histogram {
    return this.add(new Histogram(opts));
  }

  /** Called before every render: pull current values from a source. Returns an unregister function. */
  onCollect(collect: () => void): () => void {
    if (typeof collect !== 'function') throw new TypeError(`onCollect needs a function, got ${typeof collect}`);
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** The text exposition format 0.0.4. */
  render(): string {
    for (const collect of this.collectors) {
      try {
        collect();
      } catch {
        // One broken source must not take the whole endpoint down; it shows in the error counter.
        this.collectErrors.inc();
      }
    }
    return `${[...this.metrics.values()].map((m) => m.render()).join('\n')}\n`;
  }

  private add<M extends Gauge | Counter | Histogram>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new TypeError(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

// ---------------------------------------------------------------- HTTP endpoint

export interface MetricsServerOptions {
  /** Default 127.0.0.1: the endpoint is for this box only. */
  host?: string;
  /** Default 9464 (the OpenTelemetry Prometheus exporter's port); 0 picks a free one. */
  port?: number;
  /** Answers GET /healthz: 200 with the body when healthy, else 503 (edge/healthz.ts). Absent: 404. */
  health?: () => { healthy: boolean; body: Record<string, unknown> };
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: MetricsRegistry, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  if (!(registry instanceof MetricsRegistry)) throw new TypeError('startMetricsServer needs a MetricsRegistry');
  const host = options.host ?? METRICS_DEFAULTS.host;
  const port = options.port ?? METRICS_DEFAULTS.port;
  if (typeof host !== 'string' || host === '') throw new TypeError(`metrics host must be a non-empty string, got ${JSON.stringify(options.host)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`metrics port must be an integer 0..65535, got ${String(options.port)}`);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const health = options.health;
    if (path !== METRICS_DEFAULTS.path && !(health && path === METRICS_DEFAULTS.healthPath)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`only ${METRICS_DEFAULTS.path}${health ? ` and ${METRICS_DEFAULTS.healthPath}` : ''} here\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET only\n');
      return;
    }
    if (health && path === METRICS_DEFAULTS.healthPath) {
      let answer: { healthy: boolean; body: Record<string, unknown> };
      try {
        answer = health();
      } catch (err) {
        // A check that cannot run cannot say "healthy".
        answer = { healthy: false, body: { status: 'unhealthy', reason: `health check failed: ${(err as Error).message}` } };
      }
      const text = `${JSON.stringify(answer.body)}\n`;
      res.writeHead(answer.healthy ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    const body = registry.render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // A scraper that keeps connections open must not delay shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${METRICS_DEFAULTS.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------- the gateway's metrics

export interface GatewayMetrics {
  /** Last poll round trip of a device, seconds. Labels: bus, device. */
  pollLatency: Gauge;
  /** 1 for the device's current state, 0 for the others. Labels: device, state. Use setDeviceState. */
  deviceState: Gauge;
  /** Active safety holds (zones held cut or locked). Labels: kind. */
  holds: Gauge;
  /** Readings or rows dropped, by reason (queue full, malformed, retention). Labels: reason. */
  dropped: Counter;
  setDeviceState(device: string, state: string): void;
}

// The poller's states (edge/poller.ts DeviceState).
export const DEVICE_STATES = ['unknown', 'online', 'offline'] as const;

/** Declare the gateway's metrics on a registry; the owner of each source feeds them. */
export function defineGatewayMetrics(registry: MetricsRegistry, states: readonly string[] = DEVICE_STATES): GatewayMetrics {
  const deviceState = registry.gauge({ name: 'minegate_device_state', help: 'Device state: 1 for the current state, 0 for the others.', labelNames: ['device', 'state'] });
  return {
    pollLatency: registry.gauge({ name: 'minegate_poll_latency_seconds', help: 'Round trip of the last poll of a device, seconds.', labelNames: ['bus', 'device'] }),
    deviceState,
    holds: registry.gauge({ name: 'minegate_safety_holds', help: 'Active safety holds (zones held cut or locked).', labelNames: ['kind'] }),
    dropped: registry.counter({ name: 'minegate_dropped_total', help: 'Readings or rows dropped, by reason.', labelNames: ['reason'] }),
    setDeviceState(device: string, state: string): void {
      const all = states.includes(state) ? states : [...states, state];
      for (const s of all) deviceState.set(s === state ? 1 : 0, { device, state: s });
    },
  };
}
