// `minegate board get|set|apply` and `minegate write` as built CLI processes against simulated
// boards on a real Modbus TCP socket: range checks, read-back, unit-id follow-through with the
// exact config edit, refusals, and the audit rows they leave.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../edge/config/load-config.js';
import { openAuditDatabase, queryAudit, type AuditRecord } from '../../edge/operators/audit.js';
import { minegate } from './helpers/cli.js';
import { type Rig, startRig } from './helpers/rig.js';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

const cfg = (): string[] => ['-c', rig.configFile, '-d', rig.dataDir];
const asTech = () => ({ password: rig.passwords.zhang! });
function audit(): AuditRecord[] {
  const db = openAuditDatabase(rig.dataDir);
  try {
    return queryAudit(db, { order: 'asc' });
  } finally {
    db.close();
  }
}
/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('minegate board get', () => {
  it('prints every parameter with its range, and one as JSON', async () => {
    rig.devices.get('ch4-t1')!.setParam('alarm-point', 0.8);
    const all = await minegate(['board', 'get', 'ch4-t1', '-c', rig.configFile]);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/unit-id\s+1\s+1\.\.247/);
    expect(all.stdout).toMatch(/alarm-point\s+0\.8\s+%CH4\s+0\.3\.\.1\.5/);
    const one = await minegate(['board', 'get', 'ch4-t1', 'alarm-point', '-c', rig.configFile, '--json']);
    expect(JSON.parse(one.stdout)).toEqual([expect.objectContaining({ name: 'alarm-point', value: 0.8, unit: '%CH4', raw: [80] })]);
  });

  it('an unknown parameter names the ones that exist (exit 1)', async () => {
    const r = await minegate(['board', 'get', 'co-1', 'alarm-point', '-c', rig.configFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/co-sensor has no parameter "alarm-point" \(it has: unit-id, baud-rate, zero, span\)/);
  });
});

describe('minegate board set', () => {
  it('writes, reads back, and audits who, why, before and after', async () => {
    const r = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '1.2', ...cfg(), '--user', 'zhang', '--reason', 'safety order 12'], asTech());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ch4-t1\.alarm-point: 1 → 1\.2 \(asked 1\.2\): verified/);
    expect(rig.devices.get('ch4-t1')!.getParam('alarm-point')).toBeCloseTo(1.2, 6);
    const [row] = audit();
    expect(row).toMatchObject({
      operator: 'zhang',
      role: 'technician',
      action: 'board-param',
      target: 'ch4-t1.alarm-point',
      reason: 'safety order 12',
      before: { value: 1, unit: 1 },
      after: { value: 1.2, unit: 1, verified: true },
      outcome: 'ok',
    });
  });

  it('without --reason it refuses before asking for a password, and writes nothing', async () => {
    const r = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '1.2', ...cfg(), '--user', 'zhang']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/safety action: give --reason "<why>"/);
    expect(rig.devices.get('ch4-t1')!.getParam('alarm-point')).toBe(1);
  });

  it('refuses values outside the range or between steps; the board keeps its value; the refusal is audited', async () => {
    const high = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '2.5', ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(high.code).toBe(1);
    expect(high.stderr).toMatch(/alarm-point must be 0\.3\.\.1\.5 ?%CH4, got 2\.5/);
    const step = await minegate(['board', 'set', 'ch4-t1', 'span', '1.0005', ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(step.code).toBe(1);
    expect(step.stderr).toMatch(/span moves in steps of 0\.001/);
    const baud = await minegate(['board', 'set', 'ch4-t1', 'baud-rate', '4500', ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(baud.code).toBe(1);
    expect(baud.stderr).toMatch(/baud-rate must be a standard line speed \(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200\), got 4500/);
    expect(rig.devices.get('ch4-t1')!.getParam('alarm-point')).toBe(1);
    expect(audit().map((a) => [a.target, a.outcome])).toEqual([
      ['ch4-t1.alarm-point', 'refused'],
      ['ch4-t1.span', 'refused'],
      ['ch4-t1.baud-rate', 'refused'],
    ]);
  });

  it('a new baud rate is written and read back (a Modbus TCP bus has no speed in the config to edit)', async () => {
    const r = await minegate(['board', 'set', 'ch4-t1', 'baud-rate', '115200', ...cfg(), '--user', 'zhang', '--reason', 'faster line'], asTech());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ch4-t1\.baud-rate: 9600 → 115200 \(asked 115200\): verified/);
    expect(r.stdout).not.toMatch(/config edit/);
    expect(rig.devices.get('ch4-t1')!.baudRate).toBe(115200);
  });

  it('a viewer may not change a board', async () => {
    const r = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '1.0', ...cfg(), '--user', 'wang', '--reason', 'r'], { password: rig.passwords.wang! });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wang is a viewer; this needs a technician/);
    expect(rig.devices.get('ch4-t1')!.getParam('alarm-point')).toBe(1);
  });

  it('a new unit id is verified on the new address and the exact config edit is printed, file untouched', async () => {
    const before = readFileSync(rig.configFile, 'utf8');
    const r = await minegate(['board', 'set', 'ch4-t1', 'unit-id', '7', ...cfg(), '--user', 'zhang', '--reason', 'renumber heading line'], asTech());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ch4-t1\.unit-id: 1 → 7 \(asked 7\) \(read back at unit 7\): verified/);
    const line = lineOf(before, 'id: ch4-t1,');
    expect(r.stdout).toContain(`config edit: ${rig.configFile}:${line}:`);
    expect(r.stdout).toMatch(/devices\[0\]\.unit: 1 → 7 — edit it, or rerun with --update-config/);
    expect(r.stdout).toMatch(/warning: until the config says unit 7/);
    expect(rig.devices.get('ch4-t1')!.unit).toBe(7);
    expect(readFileSync(rig.configFile, 'utf8')).toBe(before);
    expect(audit()[0]).toMatchObject({ target: 'ch4-t1.unit-id', before: { value: 1, unit: 1 }, after: { value: 7, unit: 7, verified: true } });
  });

  it('--update-config rewrites only that value, keeping comments, and the board is found there', async () => {
    const before = readFileSync(rig.configFile, 'utf8');
    const r = await minegate(['board', 'set', 'ch4-t2', 'unit-id', '12', ...cfg(), '--update-config', '--user', 'zhang', '--reason', 'renumber'], asTech());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/devices\[1\]\.unit: 2 → 12 — updated, comments kept/);
    const after = readFileSync(rig.configFile, 'utf8');
    expect(after).toBe(before.replace('{ id: ch4-t2, bus: field-bus, unit: 2,', '{ id: ch4-t2, bus: field-bus, unit: 12,'));
    expect(loadConfig(rig.configFile).devicesById.get('ch4-t2')!.unit).toBe(12);
    const get = await minegate(['board', 'get', 'ch4-t2', 'unit-id', '-c', rig.configFile, '--json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)[0].value).toBe(12);
  });

  it('refuses a unit id another board already answers on', async () => {
    const r = await minegate(['board', 'set', 'ch4-t1', 'unit-id', '3', ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already answers on unit 3/);
    expect(rig.devices.get('ch4-t1')!.unit).toBe(1);
  });

  it('a board that does not answer: exit 1, nothing written', async () => {
    rig.devices.get('ch4-t1')!.setWireFault('no-response');
    const r = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '1.0', ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unit 1 did not answer reading alarm-point .*nothing was written/);
  });
});

describe('minegate board apply', () => {
  it('writes several parameters, each verified and audited (zero/span as calibration)', async () => {
    const file = join(rig.dir, 'cal.yaml');
    writeFileSync(file, '# monthly calibration of ch4-t1\nzero: 0.02\nspan: 1.004\nalarm-point: 1.0\n');
    const r = await minegate(['board', 'apply', 'ch4-t1', file, ...cfg(), '--user', 'zhang', '--reason', 'monthly calibration', '--json'], asTech());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { changes: { param: string; after: number; verified: boolean }[] };
    expect(result.changes.map((c) => [c.param, c.after, c.verified])).toEqual([
      ['zero', 0.02, true],
      ['span', 1.004, true],
      ['alarm-point', 1, true],
    ]);
    expect(audit().map((a) => [a.action, a.target, a.reason])).toEqual([
      ['calibration', 'ch4-t1.zero', 'monthly calibration'],
      ['calibration', 'ch4-t1.span', 'monthly calibration'],
      ['board-param', 'ch4-t1.alarm-point', 'monthly calibration'],
    ]);
  });

  it('checks every value before writing any', async () => {
    const file = join(rig.dir, 'bad.yaml');
    writeFileSync(file, 'params:\n  zero: 0.02\n  averaging: 40\n');
    const r = await minegate(['board', 'apply', 'ch4-t1', file, ...cfg(), '--user', 'zhang', '--reason', 'r'], asTech());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/averaging must be 1\.\.16/);
    expect(rig.devices.get('ch4-t1')!.getParam('zero')).toBe(0);
  });
});

describe('minegate write', () => {
  it('refuses a register the profile does not mark writable, by name or address', async () => {
    for (const register of ['value', 'input:0', 'holding:7']) {
      const r = await minegate(['write', 'ch4-t1', register, '1', ...cfg(), '--user', 'zhang', '--reason', 'test'], asTech());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/of methane-sensor is not writable; the profile allows only: unit-id, baud-rate, zero, span, alarm-point, averaging/);
    }
  });

  it('writes a writable relay coil, reads it back and audits it', async () => {
    const r = await minegate(['write', 'relay-1', 'coil6', 'on', ...cfg(), '--user', 'zhang', '--reason', 'siren test'], asTech());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/relay-1\.coil6: false → true: verified/);
    expect(rig.devices.get('relay-1')!.get('coil6')).toBe(true);
    expect(audit()[0]).toMatchObject({ operator: 'zhang', action: 'write', target: 'relay-1.coil6', reason: 'siren test', before: { value: false }, after: { value: true, verified: true } });
  });

  it('a holding address of a board parameter goes through the parameter checks', async () => {
    const r = await minegate(['write', 'ch4-t1', 'holding:104', '1.1', ...cfg(), '--user', 'zhang', '--reason', 'order 12', '--json'], asTech());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).changes[0]).toMatchObject({ param: 'alarm-point', after: 1.1, verified: true });
    expect(audit()[0]).toMatchObject({ action: 'write', target: 'ch4-t1.alarm-point' });
  });

  it('without --reason: a usage mistake (exit 2, as in every command), coil unchanged', async () => {
    const r = await minegate(['write', 'relay-1', 'coil0', '1', ...cfg(), '--user', 'zhang'], asTech());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/write is a safety action: give --reason/);
    expect(rig.devices.get('relay-1')!.get('coil0')).toBe(false);
  });
});
