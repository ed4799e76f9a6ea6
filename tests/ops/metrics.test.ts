// The metrics endpoint over a real HTTP GET on 127.0.0.1: text format 0.0.4, labels escaped,
// collectors pulled at scrape time, the gateway's metric names, and mistakes refused loudly.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defineGatewayMetrics, type MetricsServer, MetricsRegistry, startMetricsServer } from '../../edge/metrics.js';

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
    m.bufferBytes.set(4096, { stream: 'cdss' });
    m.bufferRows.set(12, { stream: 'cdss' });
    m.drainRate.set(35.5, { stream: 'cdss' });
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
    expect(lines).toContain('minegate_buffer_bytes{stream="cdss"} 4096');
    expect(lines).toContain('minegate_buffer_rows{stream="cdss"} 12');
    expect(lines).toContain('minegate_drain_rows_per_second{stream="cdss"} 35.5');
    expect(lines).toContain('# TYPE minegate_dropped_total counter');
    expect(lines).toContain('minegate_dropped_total{reason="queue-full"} 4');
    expect(res.body.endsWith('\n')).toBe(true);
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
