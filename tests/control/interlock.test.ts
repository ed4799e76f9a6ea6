// Guided interlock tests (甲烷电闭锁 / 风电闭锁) as a technician runs them: the built CLI prints the
// steps and waits; the test plays the technician (raises gas at T1 / stops the fan); the gateway
// times the cut through the real relay module and feed sensor and records pass or fail.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ControlClient } from '../../edge/control/client.js';
import { controlMigrations, interlockTests } from '../../edge/control/interlock-records.js';
import type { InterlockTestState } from '../../edge/control/interlock-test.js';
import { openDatabase } from '../../edge/store/database.js';
import { built, repoRoot } from '../helpers/built.js';
import { waitFor } from '../helpers/wait-for.js';
import { type ControlRig, OPERATORS, startControlRig, ZONE } from './rig.js';

let rig: ControlRig;
const children: ChildProcess[] = [];

beforeAll(async () => {
  rig = await startControlRig();
});
afterAll(async () => {
  await rig?.close();
});
beforeEach(async () => {
  await rig.settled();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  rig.devices.relay.setDeviceFailure(false);
  rig.devices.t1.set('value', 0.2);
  rig.devices.fan.set('state', 1);
});

/** The CLI as a live process: its output so far, and its exit. */
function interactive(args: string[], as: string): { output: () => string; exited: Promise<number | null> } {
  const op = OPERATORS.find((o) => o.name === as)!;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', MINEGATE_PASSWORD: op.password };
  const child = spawn(process.execPath, [built('edge/cli.js'), ...args, '-d', rig.dataDir, '--user', as], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { output: () => out, exited: new Promise((r) => child.on('close', (code) => r(code))) };
}

describe('minegate interlock test', () => {
  it('甲烷电闭锁: prints the steps, times the cut after the test gas, passes and records it', async () => {
    const run = interactive(['interlock', 'test', ZONE, '--reason', '15-day interlock test'], 'zhang');
    await waitFor(() => run.output().includes('waiting up to'), { what: 'the steps', timeoutMs: 15_000 });
    expect(run.output()).toMatch(/甲烷电闭锁 of zone heading-3101 \(heading-power\)/);
    expect(run.output()).toMatch(/1\. one of: apply test gas of at least 1\.5 %CH4 to F001A01 \(掘进工作面甲烷 T1\); or apply test gas of at least 1 %CH4 to F001A02/);
    expect(run.output()).toMatch(/2\. watch: heading-power must be cut within 2 s/);
    rig.devices.t1.set('value', 2.0);
    expect(await run.exited).toBe(0);
    const text = run.output();
    expect(text).toMatch(/trigger: F001A01 = 2 read at/);
    expect(text).toMatch(/relay module confirmed the zone cut \(\+\d+ ms\)/);
    expect(text).toMatch(/feed sensors: load side dead \(\+\d+ ms\)/);
    expect(text).toMatch(/PASS: 甲烷电闭锁 F001A01 ≥ 1\.5 %CH4: cut confirmed \d+ ms after the trigger reading \(limit 2000 ms\)/);
    const ms = Number(/execution time (\d+) ms \(limit 2000 ms, resolution 20 ms\)/.exec(text)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(2000);
    expect(text).toMatch(/recorded as interlock test #\d+/);

    const [row] = storedTests();
    expect(row).toMatchObject({ kind: 'methane', outcome: 'pass', operator: 'zhang', reason: '15-day interlock test', triggerSource: 'F001A01', triggerValue: 2, executionMs: ms, limitMs: 2000 });
    expect(row!.cutAt! - row!.triggerAt!).toBeGreaterThanOrEqual(0);
    expect(row!.feedDeadAt).not.toBeNull();
  });

  it('interlock status: the methane test is current, the never-run fan test is overdue', async () => {
    const json = await rig.cli(['interlock', 'status', '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { zone: string; kind: string; overdue: boolean; lastPassAt: number | null; lastAttempt: { operator: string } | null }[];
    const methane = rows.find((r) => r.zone === ZONE && r.kind === 'methane')!;
    expect(methane.overdue).toBe(false);
    expect(methane.lastPassAt).toBeGreaterThan(Date.now() - 60_000);
    expect(methane.lastAttempt?.operator).toBe('zhang');
    expect(rows.find((r) => r.zone === ZONE && r.kind === 'fan')).toMatchObject({ overdue: true, lastPassAt: null, lastAttempt: null });
    const table = await rig.cli(['interlock', 'status']);
    expect(table.stdout).toMatch(/heading-3101 .*methane \(甲烷电闭锁\) .* pass .* by zhang .* ok/);
    expect(table.stdout).toMatch(/heading-3101 .*fan \(风电闭锁\) .*never .*OVERDUE/);
  });

  it('风电闭锁: stopping the local fan cuts the zone within the limit (--json)', async () => {
    const run = interactive(['interlock', 'test', ZONE, '--kind', 'fan', '--reason', 'fan interlock test', '--json'], 'zhang');
    // JSON mode prints only at the end: wait until the gateway runs the session, then stop the fan.
    await waitFor(async () => (await runningTests()).some((t) => t.kind === 'fan' && t.phase === 'waiting-trigger'), { what: 'a running fan test', timeoutMs: 15_000 });
    rig.devices.fan.set('state', 0);
    expect(await run.exited).toBe(0);
    const { plan, result } = JSON.parse(run.output());
    expect(plan).toMatchObject({ zone: ZONE, kind: 'fan', outputs: ['heading-power'], feedPoints: ['F001D02'] });
    expect(result).toMatchObject({ phase: 'done', outcome: 'pass', trigger: { source: 'F001D01', value: 0 } });
    expect(result.executionMs).toBeLessThanOrEqual(2000);
  });

  it('fails and records it when the relay module does not confirm the cut in time', async () => {
    const run = interactive(['interlock', 'test', ZONE, '--reason', 'interlock test', '--limit-ms', '500'], 'zhang');
    await waitFor(() => run.output().includes('waiting up to'), { what: 'the steps', timeoutMs: 15_000 });
    rig.devices.relay.setDeviceFailure(true);
    rig.devices.t1.set('value', 2.0);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/FAIL: 甲烷电闭锁 F001A01 ≥ 1\.5 %CH4: zone outputs not confirmed cut \d+ ms after the trigger reading \(limit 500 ms\)/);
    expect(run.output()).toMatch(/recorded as interlock test #\d+/);
    expect(storedTests()[0]).toMatchObject({ outcome: 'fail', limitMs: 500, confirmedAt: null, triggerSource: 'F001A01' });
  });

  it('refuses a zone that is already cut, naming the hold; gives up when no trigger comes', async () => {
    const cut = await rig.cli(['cut', ZONE, '--reason', 'maintenance', '--expires', '10m', '--json'], 'zhang');
    const { id } = JSON.parse(cut.stdout);
    try {
      const held = await rig.cli(['interlock', 'test', ZONE, '--reason', 'test'], 'zhang');
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(new RegExp(`ZONE_ALREADY_CUT\\): zone "heading-3101" is already cut by remote-cut:${id} \\(maintenance\\): clear that first`));
    } finally {
      expect((await rig.cli(['cut', 'release', id, '--reason', 'done'], 'chief')).code).toBe(0);
    }
    await rig.settled();
    const idle = await rig.cli(['interlock', 'test', ZONE, '--reason', 'test', '--wait', '1s'], 'zhang');
    expect(idle.code).toBe(1);
    expect(idle.stdout).toMatch(/NO-TRIGGER: no test gas at the cut-off seen within 1 s/);
  });
});

/** Interlock tests the gateway is running now, as any viewer sees them through the socket. */
async function runningTests(): Promise<InterlockTestState[]> {
  const client = new ControlClient(rig.dataDir);
  try {
    return await client.request<InterlockTestState[]>('interlock.test.list');
  } finally {
    client.close();
  }
}

function storedTests() {
  const db = openDatabase(join(rig.dataDir, 'minegate.db'), { control: controlMigrations });
  try {
    return interlockTests(db, { zone: ZONE });
  } finally {
    db.close();
  }
}
