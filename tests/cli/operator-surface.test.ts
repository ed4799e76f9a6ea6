// The whole substation from the CLI, against a running `minegate run` (a separate process) on the
// demo substation simulated over real wires (Modbus TCP, RS-485-over-TCP card readers, seal
// cameras): status shows every capability; evacuate start / ack / stand-down, alarm clear and seal
// mode go through the control socket, are role-checked, audited (minegate audit) and visible in
// events --domain; reload reports its outcome. Ports 0 and a temp data dir: never the demo's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorStore } from '../../edge/operators/operator-store.js';
import { loadScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { waitFor } from '../helpers/wait-for.js';
import { minegate } from '../ops/helpers/cli.js';
import { testConfig, testScenario, writeYaml } from '../runtime/rig.js';
import { startCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mg-surface-'));
const dataDir = join(dir, 'data');
const configFile = join(dir, 'config.yaml');
const PASSWORDS: Record<string, string> = { chief: 'chief-pass-1', zhang: 'tech-pass-1' };
let sim: SubstationSimulator;
let gw: ReturnType<typeof startCli>;

/** The built CLI on the test's data dir, as `as` (password in the environment) when given. */
function cli(args: string[], as?: string) {
  return minegate([...args, '-d', dataDir, ...(as ? ['--user', as] : [])], { password: as ? PASSWORDS[as] : undefined, timeoutMs: 30_000 });
}

beforeAll(async () => {
  sim = new SubstationSimulator(loadScenario(writeYaml(dir, 'scenario.yaml', testScenario())), { tickMs: 50 });
  const endpoints = await sim.start();
  const port = (bus: string) => endpoints.find((e) => e.id === bus)!.port!;
  const net = sim.readerNetwork!;
  const config = testConfig({ 'field-bus': port('field-bus'), 'rs485-tcp': port('rs485-tcp'), 'seal-bus': port('seal-bus'), 'personnel-fifo': net.modbusPort!, line: net.linePort! });
  // The console operators of this test may order evacuations (the engine's own list).
  config.personnel.evacuation.operators = ['dispatch-zhang', 'zhang', 'chief'];
  writeYaml(dir, 'config.yaml', config);
  const store = new OperatorStore(dataDir, { hashParams: { N: 1024, r: 8, p: 1 } });
  await store.add('chief', 'safety-officer', PASSWORDS.chief!, null);
  await store.add('zhang', 'technician', PASSWORDS.zhang!, { name: 'chief', role: 'safety-officer' });
  gw = startCli(['run', '-c', configFile, '-d', dataDir, '--refresh-ms', '200']);
  await waitFor(async () => (await cli(['status'])).code === 0, { what: 'gateway answering on its control socket', timeoutMs: 30_000, intervalMs: 200 });
}, 60_000);

afterAll(async () => {
  gw?.child.kill('SIGTERM');
  await gw?.exited;
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('operator surface against a running gateway', () => {
  it('status shows the safety table and the people and seals sections, in text and JSON', async () => {
    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\npeople\n/);
    expect(text.stdout).toMatch(/\nseals\n/);
    expect(text.stdout).toContain('holds:');
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as { sections: { title: string }[]; status: { capabilities: Record<string, unknown> } };
    expect(json.sections.map((s) => s.title)).toEqual(expect.arrayContaining(['people', 'seals']));
    expect(Object.keys(json.status.capabilities)).toEqual(expect.arrayContaining(['personnel', 'seals']));
  });

  it('not a terminal: run prints change lines, never a status block per refresh', async () => {
    await waitFor(() => gw.output().includes('condition(s) at start') || gw.output().includes('no alarm, no hold'), { what: 'start-up summary' });
    expect(gw.output()).not.toContain('[status ');
    expect(gw.output()).not.toMatch(/point\s+location\s+value/);
  });

  it('evacuate start → 叫应 by an operator → stand-down (safety officer only), each audited and in events --domain personnel', async () => {
    const noReason = await cli(['evacuate', 'start', 'heading-face'], 'zhang');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required');
    const bogus = await cli(['evacuate', 'start', 'no-such-area', '--reason', 'drill'], 'zhang');
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/UNKNOWN_AREA.*no area "no-such-area"/);

    const start = await cli(['evacuate', 'start', 'heading-face', 'heading-roadway', '--reason', 'smoke in the return'], 'zhang');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/evacuation evac-\d+ since .*\n  heading-face: 叫应 awaited from 14021200000100001/);
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/evacuation/i);

    const ack = await cli(['evacuate', 'ack', 'heading-face', '--reason', 'team leader answered on the phone'], 'zhang');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain('叫应 of heading-face recorded (by zhang)');

    const byTechnician = await cli(['evacuate', 'stand-down', '--reason', 'all clear'], 'zhang');
    expect(byTechnician.code).toBe(1);
    expect(byTechnician.stderr).toMatch(/safety-officer/);
    const down = await cli(['evacuate', 'stand-down', '--reason', 'CH4 0.3 % checked by hand'], 'chief');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/evacuation evac-\d+ stood down \(heading-face, heading-roadway\)/);
    const again = await cli(['evacuate', 'stand-down', '--reason', 'again'], 'chief');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('NO_EVACUATION');

    const audit = await cli(['audit', '--json']);
    const records = JSON.parse(audit.stdout) as { action: string; operator: string; outcome: string; target: string }[];
    expect(records.filter((r) => r.action.startsWith('evacuation')).map((r) => `${r.action} ${r.operator} ${r.outcome}`)).toEqual(
      expect.arrayContaining(['evacuation-start zhang ok', 'evacuation-start zhang refused', 'evacuation-ack zhang ok', 'evacuation-stand-down chief ok', 'evacuation-stand-down chief refused']),
    );
    const text = await cli(['audit', '--action', 'evacuation-start']);
    expect(text.stdout).toMatch(/zhang\s+technician\s+evacuation-start\s+areas:heading-face,heading-roadway\s+ok\s+smoke in the return/);

    const events = await cli(['events', '--domain', 'personnel']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/personnel\s+evacuation-start/);
    expect(events.stdout).toMatch(/personnel\s+evacuation-end/);
    const mixed = await cli(['events', '--domain', 'all', '--json']);
    expect(new Set((JSON.parse(mixed.stdout) as { domain: string }[]).map((e) => e.domain))).toContain('personnel');
    const badDomain = await cli(['events', '--domain', 'weather']);
    expect(badDomain.code).toBe(2);
  });

  it('alarm clear ends an SOS (which never ends by itself) and refuses an alarm that clears itself', async () => {
    sim.readerNetwork!.move(1002, 7); // the pump room's Modbus-FIFO reader
    sim.readerNetwork!.pressSos(1002);
    const key = await waitFor(async () => {
      const s = JSON.parse((await cli(['status', '--json'])).stdout) as { status: { capabilities: { personnel: { alarms: { key: string; kind: string }[] } } } };
      return s.status.capabilities.personnel.alarms.find((a) => a.kind === 'sos')?.key;
    }, { what: 'SOS alarm raised', timeoutMs: 20_000, intervalMs: 300 });
    sim.readerNetwork!.clearSos(1002);
    const missing = await cli(['alarm', 'clear', 'sos:99999', '--reason', 'x'], 'zhang');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_CLEARABLE');
    const clear = await cli(['alarm', 'clear', key, '--reason', 'spoke to him: pressed by mistake'], 'zhang');
    expect(clear.stderr).toBe('');
    expect(clear.stdout).toContain(`alarm ${key} cleared`);
    const after = JSON.parse((await cli(['status', '--json'])).stdout) as { status: { capabilities: { personnel: { alarms: { key: string }[] } } } };
    expect(after.status.capabilities.personnel.alarms.map((a) => a.key)).not.toContain(key);
  });

  it('seal mode switches a shaft mouth (safety officer), shown in status and audited', async () => {
    const bad = await cli(['seal', 'mode', 'main', 'paused', '--reason', 'x'], 'chief');
    expect(bad.code).toBe(2);
    const unknown = await cli(['seal', 'mode', 'no-mouth', 'stopped', '--reason', 'x'], 'chief');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no shaft mouth "no-mouth" \(shaft mouths: main, aux\)/);
    const tech = await cli(['seal', 'mode', 'main', 'stopped', '--reason', 'order 17'], 'zhang');
    expect(tech.code).toBe(1);
    const ok = await cli(['seal', 'mode', 'main', 'stopped', '--reason', 'production stopped by order 17'], 'chief');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('main is now stopped');
    const s = JSON.parse((await cli(['status', '--json'])).stdout) as { status: { capabilities: { seals: { shaftMouths: { id: string; mode: string; modeOperator: string }[] } } } };
    expect(s.status.capabilities.seals.shaftMouths.find((m) => m.id === 'main')).toMatchObject({ mode: 'stopped', modeOperator: 'chief' });
    const audit = JSON.parse((await cli(['audit', '--action', 'seal-mode', '--json'])).stdout) as { target: string; after: { mode: string } }[];
    expect(audit[0]).toMatchObject({ target: 'shaft-mouth:main', after: { mode: 'stopped' } });
    await cli(['seal', 'mode', 'main', 'producing', '--reason', 'production resumed'], 'chief');
  });

  it('reload reports applied, invalid (file:line:col) and refused, with rc 0/1/1, and refuses another -c', async () => {
    const good = readFileSync(configFile, 'utf8');
    const other = join(dir, 'other.yaml');
    writeFileSync(other, good);
    const wrongFile = await cli(['reload', '-c', other]);
    expect(wrongFile.code).toBe(2);
    expect(wrongFile.stderr).toContain(`is not the file this gateway runs from (${configFile})`);

    const applied = await cli(['reload', '-c', configFile]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('config reloaded');

    writeFileSync(configFile, good.replace(/pollMs: 250/, 'pollMs: fast'));
    const invalid = await cli(['reload']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(new RegExp(`${configFile.replace(/[.]/g, '\\.')}:\\d+:\\d+ devices\\[0\\]\\.pollMs: expected number`));
    const noConfirm = await cli(['reload', '--reason', 'x'], 'chief');
    expect(noConfirm.code).toBe(1);
    expect(noConfirm.stdout).not.toContain('confirmation recorded');
    writeFileSync(configFile, good);
    // The gateway still answers after the refused reloads.
    expect((await cli(['status'])).code).toBe(0);
  });
});
