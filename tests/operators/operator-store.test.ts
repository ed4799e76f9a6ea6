// Operator accounts on a real data dir: who may be created by whom, what the file looks like on
// disk, and that a broken or exposed file is refused rather than trusted or overwritten.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorize } from '../../edge/operators/authorize.js';
import { OperatorError } from '../../edge/operators/operator-error.js';
import { OPERATORS_FILE, OperatorStore } from '../../edge/operators/operator-store.js';
import { hashPassword, verifyPassword } from '../../edge/operators/password-hash.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-operators-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OperatorError) return err.code;
    throw err;
  }
  throw new Error('expected an OperatorError');
}

// Cheap hashes keep these tests quick; the CLI tests run the real cost.
const fast = { hashParams: { N: 1024, r: 8, p: 1 } };
const chief = { name: 'chief', role: 'safety-officer' as const };

describe('password hashes', () => {
  it('salts every hash and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'scrypt$1$1$1$AAAA$BBBB')).toBe(false);
  });
});

describe('OperatorStore', () => {
  it('the first account must be a safety officer', async () => {
    const store = new OperatorStore(dir, fast);
    expect(await codeOf(store.add('tech', 'technician', 'password1', null))).toBe('first-must-be-safety-officer');
    await store.add('chief', 'safety-officer', 'password1', null);
    expect(store.list().map((o) => [o.name, o.role])).toEqual([['chief', 'safety-officer']]);
  });

  it('later accounts need a safety officer as actor', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'password1', null);
    expect(await codeOf(store.add('tech', 'technician', 'password2', null))).toBe('insufficient-role');
    await store.add('tech', 'technician', 'password2', chief);
    expect(await codeOf(store.add('viewer1', 'viewer', 'password3', { name: 'tech', role: 'technician' }))).toBe('insufficient-role');
    expect(await codeOf(store.add('tech', 'viewer', 'password3', chief))).toBe('exists');
    expect(store.list().find((o) => o.name === 'tech')?.createdBy).toBe('chief');
  });

  it('validates names and password length before touching the file', async () => {
    const store = new OperatorStore(dir, fast);
    expect(await codeOf(store.add('Chief Officer', 'safety-officer', 'password1', null))).toBe('invalid-name');
    expect(await codeOf(store.add('chief', 'safety-officer', 'short', null))).toBe('invalid-password');
    expect(await codeOf(store.add('chief', 'boss' as never, 'password1', null))).toBe('invalid-role');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes a 0600 file holding hashes only, and leaves no temp or lock file behind', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'Sup3r-secret', null);
    await store.add('tech', 'technician', 'an0ther-secret', chief);
    const file = join(dir, OPERATORS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('Sup3r-secret');
    expect(text).not.toContain('an0ther-secret');
    expect(readdirSync(dir)).toEqual([OPERATORS_FILE]);
  });

  it('authenticates; an unknown user and a wrong password fail the same way', async () => {
    const store = new OperatorStore(dir, fast);
    expect(await codeOf(store.authenticate('chief', 'password1'))).toBe('no-operators');
    await store.add('chief', 'safety-officer', 'password1', null);
    expect(await store.authenticate('chief', 'password1')).toEqual(chief);
    const wrong = await store.authenticate('chief', 'password2').catch((e: OperatorError) => e);
    const unknown = await store.authenticate('nobody', 'password1').catch((e: OperatorError) => e);
    expect((wrong as OperatorError).code).toBe('bad-credentials');
    expect((unknown as OperatorError).code).toBe('bad-credentials');
  });

  it('passwords: own change allowed, others only by a safety officer', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'password1', null);
    await store.add('tech', 'technician', 'password2', chief);
    const tech = { name: 'tech', role: 'technician' as const };
    await store.setPassword('tech', 'password2-new', tech);
    expect(await store.authenticate('tech', 'password2-new')).toEqual(tech);
    expect(await codeOf(store.setPassword('chief', 'hijacked!', tech))).toBe('insufficient-role');
    await store.setPassword('tech', 'reset-by-chief', chief);
    expect(await codeOf(store.authenticate('tech', 'password2-new'))).toBe('bad-credentials');
    expect(await store.authenticate('tech', 'reset-by-chief')).toEqual(tech);
  });

  it('never removes the last safety officer', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'password1', null);
    expect(await codeOf(store.remove('chief', chief))).toBe('last-safety-officer');
    await store.add('deputy', 'safety-officer', 'password2', chief);
    await store.remove('chief', { name: 'deputy', role: 'safety-officer' });
    expect(store.list().map((o) => o.name)).toEqual(['deputy']);
    // The removed officer's earlier authentication is worth nothing now.
    expect(await codeOf(store.add('x1', 'viewer', 'password3', chief))).toBe('bad-credentials');
  });

  it('refuses a file readable by others, naming the fix', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'password1', null);
    chmodSync(join(dir, OPERATORS_FILE), 0o644);
    const err = await store.authenticate('chief', 'password1').catch((e: OperatorError) => e);
    expect((err as OperatorError).code).toBe('store-unreadable');
    expect((err as Error).message).toContain('chmod 600');
  });

  it('refuses a corrupt file and leaves it untouched', async () => {
    const file = join(dir, OPERATORS_FILE);
    writeFileSync(file, '{"version":1,"operators":[{"name":"chief"', { mode: 0o600 });
    const store = new OperatorStore(dir, fast);
    expect(await codeOf(store.add('chief', 'safety-officer', 'password1', null))).toBe('store-unreadable');
    expect(readFileSync(file, 'utf8')).toBe('{"version":1,"operators":[{"name":"chief"');
  });

  it('two processes adding at once both land (lock file)', async () => {
    await new OperatorStore(dir, fast).add('chief', 'safety-officer', 'password1', null);
    const names = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'];
    // Separate store instances, as separate CLI processes would have.
    await Promise.all(names.map((n) => new OperatorStore(dir, fast).add(n, 'viewer', 'password-x', chief)));
    expect(new OperatorStore(dir, fast).list().map((o) => o.name).sort()).toEqual(['chief', ...names].sort());
  });
});

describe('authorize', () => {
  it('requires the role or a more trusted one', async () => {
    const store = new OperatorStore(dir, fast);
    await store.add('chief', 'safety-officer', 'password1', null);
    await store.add('tech', 'technician', 'password2', chief);
    await store.add('look', 'viewer', 'password3', chief);
    expect(await authorize(dir, 'chief', 'password1', 'technician')).toEqual(chief);
    expect(await authorize(dir, 'tech', 'password2', 'technician')).toEqual({ name: 'tech', role: 'technician' });
    expect(await codeOf(authorize(dir, 'look', 'password3', 'technician'))).toBe('insufficient-role');
    expect(await codeOf(authorize(dir, 'tech', 'password2', 'safety-officer'))).toBe('insufficient-role');
    expect(await codeOf(authorize(dir, 'tech', 'nope-nope', 'viewer'))).toBe('bad-credentials');
  });
});
