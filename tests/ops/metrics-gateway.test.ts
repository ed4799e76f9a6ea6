// The metrics endpoint and /healthz of a running gateway (its safety kernel in its own process,
// polling a real Modbus TCP server): every series a user expects is there from the first scrape
// and at zero, the exposition parses strictly, a methane cut shows in the alarm, hold and output
// series, and /healthz answers 503 once the kernel process is SIGSTOPped, 200 again after SIGCONT.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_MAX_CYCLE_AGE_MS } from '../../edge/healthz.js';
import { MetricsCapability } from '../../edge/metrics-capability.js';
import { ALARM_KINDS } from '../../edge/safety/alarms.js';
import { RULE_IDS } from '../../edge/safety/holds.js';
import { type ControlRig, startControlRig } from '../control/rig.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait-for.js';

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

const DEVICES = ['ch4-t1', 'ch4-t2', 'fan-1', 'relay-1', 'feed-1'];
const OUTPUTS = { 'heading-power': 'power', 'fan-power': 'power', siren: 'siren', beacon: 'beacon' } as const;

let rig: ControlRig | undefined;
let stoppedPid: number | undefined;
afterEach(async () => {
  // Never leave a stopped kernel behind, whatever failed.
  if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT');
  stoppedPid = undefined;
  await rig?.close();
  rig = undefined;
});

describe('metrics of a running gateway', () => {
  it('every device, output, alarm kind and hold rule has a series from the start; a methane cut shows in them; the exposition parses strictly', async () => {
    const metrics = new MetricsCapability({ port: 0 });
    rig = await startControlRig({ capabilities: [metrics] });
    const r = rig;
    await r.settled();
    const scrape = async () => {
      const res = await get(metrics.url!);
      expect(res.status).toBe(200);
      return parsePrometheusText(res.body);
    };
    // Polls have been answered by every device and observed in the histogram (the relay module,
    // which has no points, is sampled once per scrape in which it answered).
    const first = await waitFor(async () => {
      const f = await scrape();
      return DEVICES.every((d) => (sampleValue(f, 'minegate_poll_duration_seconds_count', { bus: 'field-bus', device: d }) ?? 0) >= 2) ? f : undefined;
    }, { intervalMs: 300, what: 'two answered polls of every device in the histogram' });
    const devices = r.gateway.status().devices;
    // Prometheus conventions: HELP and TYPE on every family, counters end in _total, minegate_ prefix.
    for (const f of first.values()) {
      expect(f.name).toMatch(/^minegate_/);
      expect(f.help, f.name).toBeTruthy();
      if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
    }
    for (const d of DEVICES) {
      const l = { bus: 'field-bus', device: d };
      const polls = sampleValue(first, 'minegate_device_polls_total', l)!;
      const failures = sampleValue(first, 'minegate_device_poll_failures_total', l)!;
      expect(polls).toBeGreaterThanOrEqual(2);
      // The kernel's own counts, at most a few polls behind the status read just after.
      const now = devices.find((x) => x.id === d)!;
      expect(polls).toBeLessThanOrEqual(now.polls);
      expect(failures).toBeLessThanOrEqual(now.failures);
      expect(failures).toBeLessThan(polls);
      expect(sampleValue(first, 'minegate_device_state', { device: d, state: 'online' })).toBe(1);
      // A local Modbus TCP answer: well under a second, and the histogram's sum agrees with its count.
      const sum = sampleValue(first, 'minegate_poll_duration_seconds_sum', l)!;
      const count = sampleValue(first, 'minegate_poll_duration_seconds_count', l)!;
      expect(sum / count).toBeLessThan(0.5);
      expect(sampleValue(first, 'minegate_poll_duration_seconds_bucket', { ...l, le: '+Inf' })).toBe(count);
    }
    // Zero series are present: every alarm kind (both severities), every hold rule.
    for (const kind of ALARM_KINDS) for (const severity of ['danger', 'warning']) expect(sampleValue(first, 'minegate_safety_alarms', { kind, severity }), `${kind}/${severity}`).toBe(0);
    for (const rule of RULE_IDS) expect(sampleValue(first, 'minegate_safety_holds', { kind: rule }), rule).toBe(0);
    for (const [output, kind] of Object.entries(OUTPUTS)) {
      expect(sampleValue(first, 'minegate_output_energized', { output, kind })).toBe(kind === 'power' ? 1 : 0);
      expect(sampleValue(first, 'minegate_output_holds', { output, kind })).toBe(0);
      expect(sampleValue(first, 'minegate_output_confirmed', { output, kind })).toBe(1);
    }
    // The kernel's own figures: its process, cycling, nothing dropped; the log and the store.
    const pid = r.gateway.status().kernel.pid!;
    expect(pid).not.toBe(process.pid);
    expect(sampleValue(first, 'minegate_kernel_up')).toBe(1);
    expect(sampleValue(first, 'minegate_kernel_info', { pid: String(pid) })).toBe(1);
    expect(sampleValue(first, 'minegate_kernel_cycles_total')).toBeGreaterThan(0);
    expect(sampleValue(first, 'minegate_kernel_last_cycle_age_seconds')).toBeLessThan(HEALTH_MAX_CYCLE_AGE_MS / 1000);
    expect(sampleValue(first, 'minegate_kernel_max_tick_gap_seconds')).toBeGreaterThan(0);
    expect(sampleValue(first, 'minegate_kernel_dropped_total', { what: 'readings' })).toBe(0);
    expect(sampleValue(first, 'minegate_log_dropped_lines_total')).toBe(0);
    expect(sampleValue(first, 'minegate_store_write_failures_total')).toBe(0);
    await waitFor(async () => (sampleValue(await scrape(), 'minegate_store_readings_written_total') ?? 0) > 0, { what: 'readings written to the store' });

    // Methane at the face over the cut-off: the alarm, the hold and the cut show up in the series.
    r.devices.t1.set('value', 1.6);
    const cut = await waitFor(async () => {
      const f = await scrape();
      return sampleValue(f, 'minegate_output_energized', { output: 'heading-power', kind: 'power' }) === 0 ? f : undefined;
    }, { what: 'heading-power cut in the metrics' });
    expect(sampleValue(cut, 'minegate_safety_holds', { kind: 'over-limit' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(cut, 'minegate_output_holds', { output: 'heading-power', kind: 'power' })).toBeGreaterThanOrEqual(1);
    const overLimit = ['danger', 'warning'].reduce((n, severity) => n + (sampleValue(cut, 'minegate_safety_alarms', { kind: 'over-limit', severity }) ?? 0), 0);
    expect(overLimit).toBeGreaterThanOrEqual(1);
    // Kinds that are not active still read 0 (not their last value, not absent).
    expect(sampleValue(cut, 'minegate_safety_alarms', { kind: 'integrity', severity: 'danger' })).toBe(0);
    expect(sampleValue(cut, 'minegate_output_energized', { output: 'fan-power', kind: 'power' })).toBe(1);
  });

  it('/healthz: 200 while the kernel cycles, 503 with the reason once its process is SIGSTOPped, 200 again after SIGCONT', async () => {
    const metrics = new MetricsCapability({ port: 0 });
    rig = await startControlRig({ capabilities: [metrics] });
    const healthUrl = metrics.url!.replace(/\/metrics$/, '/healthz');
    const healthy = await waitFor(async () => {
      const res = await get(healthUrl);
      return res.status === 200 ? res : undefined;
    }, { what: '/healthz 200' });
    expect(healthy.type).toBe('application/json; charset=utf-8');
    const body = JSON.parse(healthy.body) as Record<string, unknown>;
    const pid = rig.gateway.status().kernel.pid!;
    expect(body).toMatchObject({ status: 'ok', kernelPid: pid, maxCycleAgeMs: HEALTH_MAX_CYCLE_AGE_MS });
    expect(body.lastCycleAgeMs as number).toBeLessThan(HEALTH_MAX_CYCLE_AGE_MS);

    process.kill(pid, 'SIGSTOP');
    stoppedPid = pid;
    const stoppedAt = performance.now();
    const down = await waitFor(async () => {
      const res = await get(healthUrl);
      return res.status === 503 ? res : undefined;
    }, { timeoutMs: HEALTH_MAX_CYCLE_AGE_MS + 3000, intervalMs: 50, what: '/healthz 503 after SIGSTOP' });
    const downMs = performance.now() - stoppedAt;
    console.log(`[healthz] kernel SIGSTOP → 503 after ${downMs.toFixed(0)} ms (bound ${HEALTH_MAX_CYCLE_AGE_MS} ms)`);
    const why = JSON.parse(down.body) as { status: string; reason: string; lastCycleAgeMs: number };
    expect(why.status).toBe('unhealthy');
    expect(why.reason).toMatch(/safety kernel's last cycle was \d+ ms ago \(limit 2000 ms\)/);
    expect(why.lastCycleAgeMs).toBeGreaterThan(HEALTH_MAX_CYCLE_AGE_MS);
    // The bound is the kernel's last cycle, so the 503 comes no earlier than the bound after the stop
    // minus how far the mirror was already behind (one tick + one state interval, ~450 ms, more on
    // a loaded box: 1 s of slack).
    expect(downMs).toBeGreaterThanOrEqual(HEALTH_MAX_CYCLE_AGE_MS - 1000);
    expect(downMs).toBeLessThan(HEALTH_MAX_CYCLE_AGE_MS + 1500);
    // The metrics say the same while it is stopped.
    const stale = parsePrometheusText((await get(metrics.url!)).body);
    expect(sampleValue(stale, 'minegate_kernel_last_cycle_age_seconds')).toBeGreaterThan(HEALTH_MAX_CYCLE_AGE_MS / 1000);

    process.kill(pid, 'SIGCONT');
    stoppedPid = undefined;
    const resumedAt = performance.now();
    await waitFor(async () => (await get(healthUrl)).status === 200, { what: '/healthz 200 after SIGCONT' });
    console.log(`[healthz] SIGCONT → 200 after ${(performance.now() - resumedAt).toFixed(0)} ms`);
    expect(rig.gateway.status().kernel.alive).toBe(true);
  });
});
