// Issue 14, item 11: `minegate demo` stopped (SIGTERM) and started again on the same data dir raises
// no false personnel or seal alarm — and a real mismatch still alarms after the restart. The demo's
// world goes on across the restart (simulator/world-state.ts), the gateway keeps the card check's
// window on both sides (seal entries, card check-ins). The first run is stopped while miners walk
// from the outer main-shaft reader (their check-in) to the seal camera (their entry): without the
// rebuilt check-ins those entries find no card. The visitor without a card at t=75 s (demo.yaml,
// `uncarded`) is the real mismatch: 人员未带卡 at the auxiliary shaft about 30 s (cardGraceMs) later.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdDemoPorts } from '../helpers/demo-ports-lock.js';
import { type RunningDemo, startDemo, stopDemo } from '../helpers/start-demo.js';
import { waitFor } from '../helpers/wait-for.js';
import { runCli } from './run-cli.js';

interface DomainEventJson {
  domain: string;
  wallTime: number;
  type: string;
  subject: string;
  message: string;
}

const tmp = mkdtempSync(join(tmpdir(), 'mg-demo-restart-'));
const dataDir = join(tmp, 'data');
let release: (() => void) | undefined;
let running: RunningDemo | undefined;

async function events(domains: string): Promise<DomainEventJson[]> {
  const r = await runCli(['events', '-d', dataDir, '--domain', domains, '--limit', '5000', '--json']);
  if (r.code !== 0) throw new Error(`events failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as DomainEventJson[];
}

/** "headcount underground: seal 21 (baseline 0), positioning 20" from the seals status section. */
async function headcounts(): Promise<{ seal: number; positioning: number } | undefined> {
  const r = await runCli(['status', '-d', dataDir, '--json']);
  if (r.code !== 0) return undefined;
  const seals = (JSON.parse(r.stdout) as { sections: { title: string; body: string }[] }).sections.find((s) => s.title === 'seals');
  const m = /seal (\d+) \(baseline \d+\), positioning (\d+)/.exec(seals?.body ?? '');
  return m ? { seal: Number(m[1]), positioning: Number(m[2]) } : undefined;
}

const alarmsOf = (list: DomainEventJson[]): DomainEventJson[] =>
  list.filter((e) => (e.domain === 'seals' && e.type === 'alarm-on') || (e.domain === 'personnel' && e.type === 'alarm-start'));

beforeAll(async () => {
  release = await holdDemoPorts();
}, 150_000);

afterAll(async () => {
  if (running) await stopDemo(running);
  release?.();
  rmSync(tmp, { recursive: true, force: true });
});

describe('demo restarted on the same data dir', () => {
  it('raises no false 人员未带卡 / headcount / personnel alarm after the restart, and the visitor without a card still alarms', async () => {
    running = await startDemo(dataDir);
    // Half the miners are in; at any moment now some are between their check-in and the camera.
    await waitFor(async () => ((await headcounts())?.seal ?? 0) >= 10, { what: 'ten persons counted in by the seal cameras', timeoutMs: 60_000, intervalMs: 500 });
    expect(await stopDemo(running)).toBe(0);
    running = undefined;
    expect(existsSync(join(dataDir, 'demo-world.json'))).toBe(true);
    const firstRun = await events('seals,personnel');
    expect(alarmsOf(firstRun)).toEqual([]);
    const restartWall = Date.now();

    running = await startDemo(dataDir);
    const demo = running;
    expect(demo.output()).toMatch(/simulated substation running, resumed at t=\d+\.\d s/);
    // The real mismatch: the visitor crosses at t=75 s, the alarm follows after the card grace.
    const real = await waitFor(async () => alarmsOf(await events('seals,personnel')).find((e) => e.message.startsWith('人员未带卡')), {
      what: 'the 人员未带卡 alarm of the visitor without a card',
      timeoutMs: 150_000,
      intervalMs: 1_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\ndemo output:\n${demo.output()}`);
    });
    expect(demo.output()).toMatch(/1 person without a card crossed in/);
    expect(real.subject).toBe('aux');
    expect(real.wallTime).toBeGreaterThan(restartWall);
    // One person more than the cards, not the whole shift counted twice.
    expect(real.message).toMatch(/副井口 counted (\d+) persons entering .* but only (\d+) card check-ins/);
    const [, counted, cards] = /counted (\d+) persons? entering .* only (\d+) card/.exec(real.message)!;
    expect(Number(counted) - Number(cards)).toBe(1);
    // That alarm is the only one in both runs: no false one at the main shaft, none from personnel.
    expect(alarmsOf(await events('seals,personnel')).map((e) => `${e.domain} ${e.subject} ${e.message}`)).toEqual([`seals aux ${real.message}`]);
    // The seal headcount went on from the first run: every miner once, plus the visitor.
    const heads = await headcounts();
    expect(heads).toEqual({ seal: 21, positioning: 20 });
    expect(await stopDemo(demo)).toBe(0);
    running = undefined;
  }, 300_000);
});
