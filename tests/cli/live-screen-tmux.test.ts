// The live screen of `minegate run` in a real terminal (tmux), at 120x40 and 80x24, on the demo
// substation simulated over real wires: safety first (alarms, outputs with their holds, points),
// nothing scrolled off the top, no line wider than the terminal.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { displayWidth } from '../../edge/text-table.js';
import { built, repoRoot } from '../helpers/built.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig, testScenario, writeYaml } from '../runtime/rig.js';

const dir = mkdtempSync(join(tmpdir(), 'mg-tmux-'));
// A tmux server of this test's own: never the technician's sessions.
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', `mg-test-${process.pid}`, ...args], { encoding: 'utf8' });
let sim: SubstationSimulator;
let configFile: string;

beforeAll(async () => {
  sim = new SubstationSimulator(loadScenario(writeYaml(dir, 'scenario.yaml', testScenario())), { tickMs: 50 });
  const endpoints = await sim.start();
  const port = (bus: string) => endpoints.find((e) => e.id === bus)!.port!;
  const net = sim.readerNetwork!;
  configFile = writeYaml(dir, 'config.yaml', testConfig({ 'field-bus': port('field-bus'), 'rs485-tcp': port('rs485-tcp'), 'seal-bus': port('seal-bus'), 'personnel-fifo': net.modbusPort!, line: net.linePort! }));
}, 30_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // Already gone.
  }
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const POINTS = ['F001A01', 'F001A02', 'F001A03', 'F001A04', 'F001A05', 'F001A06', 'F001D01', 'F001D02', 'F001D03', 'F001A07', 'F001A08'];
const OUTPUTS = ['heading-power', 'fan-power', 'siren', 'beacon', 'heading-siren', 'heading-beacon', 'store-siren', 'level-siren'];

async function screenAt(columns: number, rows: number, also: RegExp = /./): Promise<string[]> {
  const session = `s${columns}x${rows}`;
  const cmd = `${process.execPath} ${built('edge/cli.js')} run -c ${configFile} -d ${join(dir, session)} --refresh-ms 300`;
  tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), '-c', repoRoot, cmd);
  try {
    return await waitFor(() => {
      const lines = tmux('capture-pane', '-p', '-t', session).split('\n');
      const text = lines.join('\n');
      return /ALARMS/.test(text) && POINTS.slice(0, 3).every((p) => text.includes(p)) && (text.includes('devices:') || text.includes('more lines')) && also.test(text) ? lines : undefined;
    }, { what: `live screen at ${columns}x${rows}`, timeoutMs: 30_000, intervalMs: 200 });
  } finally {
    tmux('send-keys', '-t', session, 'C-c');
    // The session ends with the command: no session (or no tmux server left) means run stopped.
    const alive = (): boolean => {
      try {
        return tmux('list-sessions', '-F', '#{session_name}').split('\n').includes(session);
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), { what: 'run stopped on Ctrl-C', timeoutMs: 20_000, intervalMs: 200 });
  }
}

describe('live screen in a terminal', () => {
  it('at 120x40: alarms, every output with its holds and every point on one screen, the header not scrolled away', async () => {
    // Once the start-up actuation alarms have cleared (the relay module confirmed), people and seals fit too.
    const lines = await screenAt(120, 40, /\npeople: /);
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/minegate F001/);
    expect(lines.findIndex((l) => l.startsWith('ALARMS'))).toBeLessThan(4);
    for (const o of OUTPUTS) expect(text).toMatch(new RegExp(`\\n${o}\\s+(ON|OFF)`));
    for (const p of POINTS) expect(text).toContain(p);
    expect(text).toMatch(/\npeople: /);
    expect(text).toMatch(/\nseals: /);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(120);
  }, 60_000);

  it('at 80x24: safety first, the rest cut with a pointer to minegate status, no line wider than 80', async () => {
    const lines = await screenAt(80, 24);
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/minegate F001/);
    const alarms = lines.findIndex((l) => l.startsWith('ALARMS'));
    const outputs = lines.findIndex((l) => /^output\s+state/.test(l));
    const points = lines.findIndex((l) => /^point\s+location/.test(l));
    expect(alarms).toBeGreaterThan(0);
    expect(outputs).toBeGreaterThan(alarms);
    expect(points).toBeGreaterThan(outputs);
    expect(text).toMatch(/more lines: minegate status shows everything/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
  }, 60_000);
});
