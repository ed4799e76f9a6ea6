// The metrics endpoint of a running gateway, scraped over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsCapability } from '../../edge/metrics-capability.js';
import { waitFor } from '../helpers/wait-for.js';
import { startSubstation, type Substation } from '../integration/fixtures.js';

describe('metrics capability', () => {
  let sub: Substation | undefined;
  afterEach(async () => {
    await sub?.close();
    sub = undefined;
  });

  it('serves device state and poll latency in Prometheus text format on 127.0.0.1', async () => {
    const metrics = new MetricsCapability({ port: 0 });
    sub = await startSubstation({ transport: 'tcp', sensors: 2, pollMs: 200, responseTimeoutMs: 200, capabilities: [metrics] });
    const s = sub;
    await waitFor(() => s.gateway.status().devices.every((d) => d.state === 'online'), { what: 'devices online' });
    expect(metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const text = await (await fetch(`${metrics.url}`)).text();
    expect(text).toMatch(/minegate_device_state\{device="ch4-1",state="online"\} 1/);
    expect(text).toMatch(/minegate_device_state\{device="ch4-2",state="offline"\} 0/);
    expect(text).toMatch(/minegate_poll_latency_seconds\{bus="bus-1",device="ch4-1"\} \d/);
  });
});

describe('a capability that fails to start', () => {
  it('stops the whole gateway and names the failing part', async () => {
    const { startSubstation: start } = await import('../integration/fixtures.js');
    const broken = { name: 'broken', start: () => Promise.reject(new Error('reader line missing')), stop: () => undefined };
    await expect(start({ transport: 'tcp', sensors: 1, pollMs: 200, responseTimeoutMs: 200, capabilities: [broken] })).rejects.toThrow(/broken: reader line missing/);
  });
});
