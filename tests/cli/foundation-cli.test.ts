// The foundation commands as a technician uses them: config check, read, demo (npm start).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdDemoPorts } from '../helpers/demo-ports-lock.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait-for.js';
import { repoRoot } from '../helpers/built.js';
import { runCli, startCli } from './run-cli.js';

const examples = join(repoRoot, 'board-configs/examples');
const shipped = readdirSync(examples).filter((f) => f.endsWith('.yaml')).map((f) => join(examples, f));
const broken = readdirSync(join(examples, 'broken')).filter((f) => f.endsWith('.yaml')).map((f) => join(examples, 'broken', f));
const tmp = mkdtempSync(join(tmpdir(), 'minegate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('minegate config check', () => {
  it('exits 0 on every shipped example', async () => {
    const r = await runCli(['config', 'check', ...shipped]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of shipped) expect(r.stdout).toContain(`OK ${f}`);
  });

  it('ships at least 6 broken examples', () => {
    expect(broken.length).toBeGreaterThanOrEqual(6);
  });

  it.each(broken)('exits 1 on %s and prints file:line and the field path', async (file) => {
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
  });
});

describe('minegate usage', () => {
  it('--help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run', 'config', 'read', 'sim', 'demo']) expect(r.stdout).toContain(c);
  });

  it('an unknown command exits 2 with help', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});

// The demo and `read` both use the demo scenario's fixed ports, so they run one after the other.
describe('npm start demo and one-shot read', () => {
  // Not at the same time as another test file's demo (tests/dashboard/demo.test.ts).
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdDemoPorts();
  }, 130_000);
  afterAll(() => release?.());
  it('the demo shows live good values of every simulated point within 10 s, serves metrics and /healthz with --metrics-port, and stops cleanly on Ctrl-C', async () => {
    const demoDir = join(tmp, 'demo');
    // Port 0: the demo prints the address it bound (the demo's own ports are fixed, so this test also covers --metrics-port).
    const demo = startCli(['demo', '--data-dir', demoDir, '--refresh-ms', '500', '--metrics-port', '0']);
    // Not a terminal: the demo prints change lines only; the table is `minegate status`, as a technician reads it.
    const status = async (): Promise<string> => (await runCli(['status', '-d', demoDir])).stdout;
    try {
      const codes = ['F001A01', 'F001A02'];
      await waitFor(async () => {
        const last = await status();
        const pointLines = last.split('\n').filter((l) => /^F001[AD]\d/.test(l));
        return pointLines.length >= 11 && pointLines.every((l) => /\bgood\b/.test(l)) && codes.every((c) => last.includes(c));
      }, { timeoutMs: 10_000, intervalMs: 300, what: 'every point good in the demo status table' });
      // No false alarm at start-up (issue 14): the simulated sensors carry a calibration date, so the
      // demo does not open with "no calibration date recorded" warnings.
      await waitFor(() => demo.output().includes('minegate: no alarm, no hold, every device online') || demo.output().includes('condition(s) at start'), { what: 'start-up summary' });
      expect(demo.output()).toContain('minegate: no alarm, no hold, every device online');
      // Personnel positioning and the electronic seals run in the demo too: the headcount underground
      // and per area next to the gas points, each seal camera's state and counts.
      await waitFor(async () => {
        const last = await status();
        return /\npeople\nunderground [1-9]\d* \/ rated 120/.test(last) && /heading-face\s/.test(last) && /\nseals\nseals — /.test(last) && /seal-main .* online/.test(last) && /seal-aux .* online/.test(last);
      }, { timeoutMs: 15_000, intervalMs: 300, what: 'people underground and both seal cameras online in the demo status' });
      const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(demo.output())?.[1];
      expect(url, demo.output()).toBeDefined();
      const health = await fetch(url!.replace(/\/metrics$/, '/healthz'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const families = parsePrometheusText(await (await fetch(url!)).text());
      expect(sampleValue(families, 'minegate_kernel_up')).toBe(1);
      expect(sampleValue(families, 'minegate_device_polls_total', { bus: 'field-bus', device: 'ch4-t1' })).toBeGreaterThan(0);
      // The demo has an upstream: the outbox and uplink series are there (every lane, even at zero).
      for (const lane of ['event', 'realtime', 'backlog']) expect(sampleValue(families, 'minegate_outbox_batches', { lane }), lane).toBeGreaterThanOrEqual(0);
      expect(families.has('minegate_uplink_connected')).toBe(true);
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('stopped cleanly');
  });

  it('read prints one point straight from the bus, and --json parses', async () => {
    const sim = startCli(['sim']);
    try {
      await waitFor(() => /substation running/.test(sim.output()), { what: 'simulator up' });
      const config = join(examples, 'demo-substation.yaml');
      const human = await runCli(['read', 'F001A01', '-c', config]);
      expect(human.stderr).toBe('');
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/F001A01\s+\d+\.\d+\s+%CH4\s+good/);
      const json = await runCli(['read', 'fan-1', '-c', config, '--json']);
      expect(json.code).toBe(0);
      const readings = JSON.parse(json.stdout) as { point: string; quality: string }[];
      expect(readings.length).toBe(2);
      expect(readings.every((r) => r.quality === 'good')).toBe(true);
      const missing = await runCli(['read', 'NOPE', '-c', config]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/neither a point code nor a device id/);
    } finally {
      sim.child.kill('SIGINT');
      await sim.exited;
    }
  });
});
