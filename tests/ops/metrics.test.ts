// The metrics endpoint over a real HTTP GET on 127.0.0.1: text format 0.0.4, labels escaped,
// collectors pulled at scrape time, the gateway's metric names, and mistakes refused loudly.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defineGatewayMetrics, type MetricsServer, MetricsRegistry, startMetricsServer } from '../../edge/metrics.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics endpoint', () => {
  it('serves gauges and counters with labels in the Prometheus text format, on 127.0.0.1', async () => {
    const registry = new MetricsRegistry();
    const m = defineGatewayMetrics(registry);
    m.pollLatency.set(0.0123, { bus: 'rs485-1', device: 'ch4-t1' });
    m.setDeviceState('ch4-t1', 'online');
    m.setDeviceState('ch4-t1', 'offline');
    m.holds.set(2, { kind: 'fault-lockout' });
    m.dropped.inc(3, { reason: 'queue-full' });
    m.dropped.inc(1, { reason: 'queue-full' });
    server = await startMetricsServer(registry, { port: 0 });
    expect(server.host).toBe('127.0.0.1');
    const res = await get(server.url);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = res.body.split('\n');
    expect(lines).toContain('# TYPE minegate_poll_latency_seconds gauge');
    expect(lines).toContain('minegate_poll_latency_seconds{bus="rs485-1",device="ch4-t1"} 0.0123');
    expect(lines).toContain('minegate_device_state{device="ch4-t1",state="online"} 0');
    expect(lines).toContain('minegate_device_state{device="ch4-t1",state="offline"} 1');
    expect(lines).toContain('minegate_safety_holds{kind="fault-lockout"} 2');
    expect(lines).toContain('# TYPE minegate_dropped_total counter');
    expect(lines).toContain('minegate_dropped_total{reason="queue-full"} 4');
    expect(res.body.endsWith('\n')).toBe(true);
    // A strict reader accepts the whole exposition.
    expect(sampleValue(parsePrometheusText(res.body), 'minegate_dropped_total', { reason: 'queue-full' })).toBe(4);
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count per label set, zero series included', async () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram({ name: 'minegate_poll_duration_seconds', help: 'Poll round trip.', labelNames: ['device'], buckets: [0.01, 0.1, 1] });
    for (const v of [0.004, 0.05, 0.05, 0.7, 3]) h.observe(v, { device: 'ch4-t1' });
    h.zero({ device: 'relay-1' });
    server = await startMetricsServer(registry, { port: 0 });
    const { body } = await get(server.url);
    const lines = body.split('\n');
    expect(lines).toContain('# TYPE minegate_poll_duration_seconds histogram');
    expect(lines).toContain('minegate_poll_duration_seconds_bucket{device="ch4-t1",le="0.01"} 1');
    expect(lines).toContain('minegate_poll_duration_seconds_bucket{device="ch4-t1",le="0.1"} 3');
    expect(lines).toContain('minegate_poll_duration_seconds_bucket{device="ch4-t1",le="1"} 4');
    expect(lines).toContain('minegate_poll_duration_seconds_bucket{device="ch4-t1",le="+Inf"} 5');
    expect(lines).toContain('minegate_poll_duration_seconds_count{device="ch4-t1"} 5');
    expect(lines).toContain('minegate_poll_duration_seconds_bucket{device="relay-1",le="+Inf"} 0');
    expect(lines).toContain('minegate_poll_duration_seconds_count{device="relay-1"} 0');
    const f = parsePrometheusText(body);
    expect(sampleValue(f, 'minegate_poll_duration_seconds_sum', { device: 'ch4-t1' })).toBeCloseTo(3.804, 9);
    expect(() => h.observe(Number.NaN, { device: 'x' })).toThrow(/finite/);
    expect(() => h.observe(1, { devcie: 'x' })).toThrow(/takes labels \{device\}/);
    expect(() => registry.histogram({ name: 'minegate_h2', help: 'x', buckets: [1, 1] })).toThrow(/strictly increasing/);
    expect(() => registry.histogram({ name: 'minegate_h3', help: 'x', labelNames: ['le'] })).toThrow(/bucket label/);
  });

  it('a counter may carry a total its source keeps (a smaller one is a source restart, read as a reset)', async () => {
    const registry = new MetricsRegistry();
    const c = registry.counter({ name: 'minegate_device_polls_total', help: 'Polls.', labelNames: ['device'] });
    c.setTotal(120, { device: 'ch4-t1' });
    expect(c.get({ device: 'ch4-t1' })).toBe(120);
    c.setTotal(3, { device: 'ch4-t1' });
    expect(c.get({ device: 'ch4-t1' })).toBe(3);
    expect(() => c.setTotal(-1, { device: 'ch4-t1' })).toThrow(/>= 0/);
  });

  it('/healthz answers 200 or 503 with a JSON body, and 503 when the check itself throws', async () => {
    let answer: { healthy: boolean; body: Record<string, unknown> } | Error = { healthy: true, body: { status: 'ok' } };
    server = await startMetricsServer(new MetricsRegistry(), {
      port: 0,
      health: () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    const url = server.url.replace('/metrics', '/healthz');
    const ok = await get(url);
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok' });
    answer = { healthy: false, body: { status: 'unhealthy', reason: 'safety kernel not running' } };
    const down = await get(url);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ status: 'unhealthy', reason: 'safety kernel not running' });
    answer = new Error('status unavailable');
    const broken = await get(url);
    expect(broken.status).toBe(503);
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'unhealthy', reason: 'health check failed: status unavailable' });
    expect((await get(url, 'POST')).status).toBe(405);
  });

  it('the strict reader used by these tests rejects what Prometheus would reject', () => {
    const ok = '# HELP a_total x\n# TYPE a_total counter\na_total 1\n';
    expect(parsePrometheusText(ok).get('a_total')?.samples).toHaveLength(1);
    expect(() => parsePrometheusText('a_total 1\n')).toThrow(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE a gauge\na not-a-number\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE a gauge\na{b="1"} 1\na{b="1"} 2\n')).toThrow(/duplicate series/);
    expect(() => parsePrometheusText('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n')).toThrow(/outside its family/);
    expect(() => parsePrometheusText('# TYPE a gauge\na{b="x\\q"} 1\n')).toThrow(/bad escape/);
    const hist = (inf: number, b1: number) => `# TYPE h histogram\nh_bucket{le="1"} ${b1}\nh_bucket{le="+Inf"} ${inf}\nh_sum 1\nh_count 3\n`;
    expect(() => parsePrometheusText(hist(3, 2))).not.toThrow();
    expect(() => parsePrometheusText(hist(2, 2))).toThrow(/!= _count/);
    expect(() => parsePrometheusText(hist(3, 4))).toThrow(/not cumulative/);
    expect(() => parsePrometheusText('# TYPE a gauge\na 1')).toThrow(/newline/);
  });

  it('pulls collectors at every scrape and survives a broken one', async () => {
    const registry = new MetricsRegistry();
    const rows = registry.gauge({ name: 'minegate_outbox_rows', help: 'Rows in the outbox.' });
    let n = 0;
    registry.onCollect(() => rows.set(++n * 10));
    registry.onCollect(() => {
      throw new Error('source gone');
    });
    server = await startMetricsServer(registry, { port: 0 });
    expect((await get(server.url)).body).toContain('minegate_outbox_rows 10');
    const second = await get(server.url);
    expect(second.body).toContain('minegate_outbox_rows 20');
    expect(second.body).toContain('minegate_metrics_collect_errors_total 2');
  });

  it('escapes label values and help text', async () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge({ name: 'minegate_point_value', help: 'Value of a point.\nSecond line \\ here.', labelNames: ['location'] });
    g.set(0.45, { location: '3101掘进 "face"\nback\\slash' });
    g.set(Number.NaN, { location: 'broken' });
    server = await startMetricsServer(registry, { port: 0 });
    const { body } = await get(server.url);
    expect(body).toContain('# HELP minegate_point_value Value of a point.\\nSecond line \\\\ here.');
    expect(body).toContain('minegate_point_value{location="3101掘进 \\"face\\"\\nback\\\\slash"} 0.45');
    expect(body).toContain('minegate_point_value{location="broken"} NaN');
  });

  it('answers 404 elsewhere and 405 to writes', async () => {
    server = await startMetricsServer(new MetricsRegistry(), { port: 0 });
    expect((await get(server.url.replace('/metrics', '/'))).status).toBe(404);
    // No health check given: no /healthz either (never a 200 that checked nothing).
    expect((await get(server.url.replace('/metrics', '/healthz'))).status).toBe(404);
    expect((await get(server.url, 'POST')).status).toBe(405);
  });

  it('refuses mistakes that would silently produce wrong series', () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge({ name: 'minegate_x', help: 'x', labelNames: ['device'] });
    expect(() => g.set(1, { devcie: 'ch4-t1' })).toThrow(/takes labels \{device\}; missing: device, unknown: devcie/);
    expect(() => registry.gauge({ name: 'minegate_x', help: 'again' })).toThrow(/already registered/);
    expect(() => registry.gauge({ name: 'minegate-x', help: 'x' })).toThrow(/must match/);
    expect(() => registry.counter({ name: 'minegate_drops', help: 'x' })).toThrow(/must end in _total/);
    const c = registry.counter({ name: 'minegate_drops_total', help: 'x' });
    expect(() => c.inc(-1)).toThrow(/>= 0/);
  });

  it('defaults to port 9464 on 127.0.0.1', async () => {
    const registry = new MetricsRegistry();
    try {
      server = await startMetricsServer(registry);
    } catch (err) {
      // Another engineer's process may hold 9464 on this shared box; the default itself is what we check.
      expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      return;
    }
    expect(server.url).toBe('http://127.0.0.1:9464/metrics');
    expect((await get(server.url)).status).toBe(200);
  });
});
