// `minegate user ...` as a built CLI process: the first account, who may add whom, scripted
// passwords, and the audit rows every account change leaves.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditDatabase, queryAudit } from '../../edge/operators/audit.js';
import { minegate } from '../ops/helpers/cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'minegate-user-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const d = ['-d', dataDir];

describe('minegate user', () => {
  // One data dir, steps in order: each builds on the accounts the previous one made.
  it('refuses a first account that is not a safety officer', async () => {
    const r = await minegate(['user', 'add', 'zhang', '--role', 'technician', ...d], { newPassword: 'tech-pass-1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/first account must be a safety officer/);
  });

  it('creates the first safety officer without a login, file mode 0600', async () => {
    const r = await minegate(['user', 'add', 'chief', '--role', 'safety-officer', ...d], { newPassword: 'chief-pass-1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added chief \(safety-officer\)/);
    expect(statSync(join(dataDir, 'operators.json')).mode & 0o777).toBe(0o600);
  });

  it('a bad role is a usage error (exit 2)', async () => {
    const r = await minegate(['user', 'add', 'li', '--role', 'boss', '--user', 'chief', ...d], { password: 'chief-pass-1', newPassword: 'li-pass-12' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--role must be one of viewer, technician, safety-officer/);
  });

  it('without a password and without a terminal it fails at once, naming MINEGATE_PASSWORD', async () => {
    const r = await minegate(['user', 'add', 'zhang', '--role', 'technician', '--user', 'chief', ...d], { newPassword: 'tech-pass-1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MINEGATE_PASSWORD/);
  });

  it('a wrong password is refused and the refusal is audited', async () => {
    const r = await minegate(['user', 'add', 'zhang', '--role', 'technician', '--user', 'chief', ...d], { password: 'guess', newPassword: 'tech-pass-1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown or the password is wrong/);
    const db = openAuditDatabase(dataDir);
    const refused = queryAudit(db, { action: 'auth-refused' });
    db.close();
    expect(refused[0]).toMatchObject({ operator: 'chief', outcome: 'refused', target: 'user add zhang' });
  });

  it('the safety officer adds a technician; a technician cannot add accounts', async () => {
    const ok = await minegate(['user', 'add', 'zhang', '--role', 'technician', '--user', 'chief', ...d], { password: 'chief-pass-1', newPassword: 'tech-pass-1' });
    expect(ok.code).toBe(0);
    const no = await minegate(['user', 'add', 'wang', '--role', 'viewer', '--user', 'zhang', ...d], { password: 'tech-pass-1', newPassword: 'view-pass-1' });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/zhang is a technician; this needs a safety-officer/);
  });

  it('lists accounts as a table and as JSON, without hashes', async () => {
    const human = await minegate(['user', 'list', ...d]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/chief\s+safety-officer/);
    expect(human.stdout).toMatch(/zhang\s+technician\s+\S+\s+chief/);
    const json = await minegate(['user', 'list', '--json', ...d]);
    const list = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(list.map((u) => u.name)).toEqual(['chief', 'zhang']);
    expect(json.stdout).not.toContain('scrypt');
  });

  it('passwd: own password with the old one; the old one stops working', async () => {
    const r = await minegate(['user', 'passwd', 'zhang', ...d], { password: 'tech-pass-1', newPassword: 'tech-pass-2' });
    expect(r.code).toBe(0);
    const old = await minegate(['user', 'passwd', 'zhang', ...d], { password: 'tech-pass-1', newPassword: 'tech-pass-3' });
    expect(old.code).toBe(1);
  });

  it('remove: never the last safety officer; a technician is removed and it is audited', async () => {
    const last = await minegate(['user', 'remove', 'chief', '--user', 'chief', ...d], { password: 'chief-pass-1' });
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last safety officer/);
    const r = await minegate(['user', 'remove', 'zhang', '--user', 'chief', '--reason', 'transferred to another mine', ...d], { password: 'chief-pass-1' });
    expect(r.code).toBe(0);
    const db = openAuditDatabase(dataDir);
    const rows = queryAudit(db, { action: 'operator-change', order: 'asc' });
    db.close();
    expect(rows.map((x) => [x.operator, x.target, x.detail])).toEqual([
      ['chief', 'operator:chief', 'first account'],
      ['chief', 'operator:zhang', 'added'],
      ['zhang', 'operator:zhang', 'password changed'],
      ['chief', 'operator:zhang', 'removed'],
    ]);
    expect(rows.at(-1)!.reason).toBe('transferred to another mine');
  });
});
