// Local operator accounts in <data-dir>/operators.json: who may use the technician CLI and with
// which role. The file holds scrypt hashes only, is created 0600, and is replaced atomically
// (temp file, fsync, rename, directory fsync) under a lock file, so a crash or two technicians
// at once can never leave it half-written or lose an account.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../../core/atomic-file.js';
import { OperatorError } from './operator-error.js';
import { decoyHash, hashPassword, PASSWORD_HASH_DEFAULTS, type ScryptParams, verifyPassword } from './password-hash.js';
import { isRole, ROLES, type Role, roleAtLeast } from './roles.js';

export const OPERATORS_FILE = 'operators.json';

export const OPERATOR_STORE_DEFAULTS = {
  minPasswordLength: 8,
  maxPasswordLength: 256,
  /** Give up waiting for another process's lock after this long. */
  lockTimeoutMs: 5_000,
  /** A lock file older than this was left by a crashed process and is taken over. */
  staleLockMs: 60_000,
  lockRetryMs: 25,
} as const;

/** What other modules see of an account: never the hash. */
export interface Operator {
  name: string;
  role: Role;
}

export interface OperatorInfo extends Operator {
  createdAt: string;
  createdBy: string | null;
  passwordChangedAt: string;
}

const NAME = /^[a-z][a-z0-9._-]{1,31}$/;

const RecordSchema = z.strictObject({
  name: z.string().regex(NAME),
  role: z.enum(ROLES),
  hash: z.string().startsWith('scrypt$'),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  passwordChangedAt: z.string(),
});
type OperatorRecord = z.infer<typeof RecordSchema>;

const FileSchema = z.strictObject({
  version: z.literal(1),
  operators: z.array(RecordSchema),
});
type OperatorsFile = z.infer<typeof FileSchema>;

export function validateOperatorName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new OperatorError('invalid-name', `user name ${JSON.stringify(name)} must be 2-32 characters: a lower-case letter, then letters, digits, dot, dash or underscore`);
  }
  return name;
}

export function validateNewPassword(password: unknown): string {
  const { minPasswordLength: min, maxPasswordLength: max } = OPERATOR_STORE_DEFAULTS;
  if (typeof password !== 'string' || password.length < min || password.length > max) {
    throw new OperatorError('invalid-password', `a password must be ${min} to ${max} characters long`);
  }
  return password;
}

function validateRole(role: unknown): Role {
  if (!isRole(role)) throw new OperatorError('invalid-role', `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  return role;
}

export interface OperatorStoreOptions {
  /** scrypt cost for new hashes (existing hashes carry their own). Lower only in tests. */
  hashParams?: ScryptParams;
}

export class OperatorStore {
  readonly file: string;
  private readonly lockFile: string;
  private readonly hashParams: ScryptParams;

  constructor(
    readonly dataDir: string,
    options: OperatorStoreOptions = {},
  ) {
    if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new TypeError(`OperatorStore: dataDir must be a directory path, got ${JSON.stringify(dataDir)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`OperatorStore: options must be an object, got ${String(options)}`);
    this.file = join(dataDir, OPERATORS_FILE);
    this.lockFile = `${this.file}.lock`;
    this.hashParams = options.hashParams ?? PASSWORD_HASH_DEFAULTS;
  }

  /** Accounts, by name. Empty when the file does not exist yet. */
  list(): OperatorInfo[] {
    return this.read().operators.map(({ hash: _hash, ...info }) => info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The account, after checking its password. Throws 'no-operators' or 'bad-credentials'. */
  async authenticate(name: string, password: string): Promise<Operator> {
    const operators = this.read().operators;
    if (operators.length === 0) {
      throw new OperatorError('no-operators', `no operator accounts exist yet in ${this.file}; create the first one (a safety officer) with: minegate user add <name> --role safety-officer — or, if the gateway keeps its data elsewhere, give -d <data-dir> or set MINEGATE_DATA_DIR`);
    }
    const record = operators.find((o) => o.name === name);
    // Unknown user: still spend the same time hashing, and answer exactly as for a wrong password.
    const ok = await verifyPassword(typeof password === 'string' ? password : '', record?.hash ?? (await decoyHash(this.hashParams)));
    if (!record || !ok) throw new OperatorError('bad-credentials', `user "${name}" is unknown or the password is wrong`);
    return { name: record.name, role: record.role };
  }

  /**
   * Add an account. The very first account must be a safety officer and needs no actor; every
   * later one needs an authenticated safety officer as `actor`.
   */
  async add(name: string, role: Role, password: string, actor: Operator | null): Promise<OperatorInfo> {
    validateOperatorName(name);
    validateRole(role);
    validateNewPassword(password);
    const hash = await hashPassword(password, this.hashParams);
    return this.mutate((file) => {
      if (file.operators.length === 0) {
        if (role !== 'safety-officer') {
          throw new OperatorError('first-must-be-safety-officer', `the first account must be a safety officer (it decides who else may use the gateway); got role ${role}`);
        }
      } else {
        if (!actor) throw new OperatorError('insufficient-role', 'adding an account needs a safety officer: give --user <safety officer>');
        this.requireRole(file, actor, 'safety-officer', 'add accounts');
      }
      if (file.operators.some((o) => o.name === name)) throw new OperatorError('exists', `user "${name}" already exists`);
      const now = new Date().toISOString();
      const record: OperatorRecord = { name, role, hash, createdAt: now, createdBy: actor?.name ?? null, passwordChangedAt: now };
      file.operators.push(record);
      const { hash: _h, ...info } = record;
      return info;
    });
  }

  /** Set a new password. An operator may change their own; a safety officer anyone's. */
  async setPassword(name: string, password: string, actor: Operator): Promise<void> {
    validateNewPassword(password);
    const hash = await hashPassword(password, this.hashParams);
    await this.mutate((file) => {
      if (actor.name !== name) this.requireRole(file, actor, 'safety-officer', "change another operator's password");
      const record = file.operators.find((o) => o.name === name);
      if (!record) throw new OperatorError('unknown-user', `no user "${name}"`);
      record.hash = hash;
      record.passwordChangedAt = new Date().toISOString();
    });
  }

  /** Remove an account (safety officer only). The last safety officer cannot be removed. */
  async remove(name: string, actor: Operator): Promise<OperatorInfo> {
    return this.mutate((file) => {
      this.requireRole(file, actor, 'safety-officer', 'remove accounts');
      const index = file.operators.findIndex((o) => o.name === name);
      if (index < 0) throw new OperatorError('unknown-user', `no user "${name}"`);
      const record = file.operators[index]!;
      const officers = file.operators.filter((o) => o.role === 'safety-officer');
      if (record.role === 'safety-officer' && officers.length === 1) {
        throw new OperatorError('last-safety-officer', `"${name}" is the last safety officer; add another safety officer first`);
      }
      file.operators.splice(index, 1);
      const { hash: _h, ...info } = record;
      return info;
    });
  }

  // ---------------------------------------------------------------- file

  /** The actor's role as stored now (not as it was when they authenticated a moment ago). */
  private requireRole(file: OperatorsFile, actor: Operator, need: Role, what: string): void {
    const current = file.operators.find((o) => o.name === actor.name);
    if (!current) throw new OperatorError('bad-credentials', `user "${actor.name}" no longer exists`);
    if (!roleAtLeast(current.role, need)) {
      throw new OperatorError('insufficient-role', `${actor.name} is a ${current.role}; only a ${need} may ${what}`);
    }
  }

  private read(): OperatorsFile {
    let text: string;
    try {
      const st = statSync(this.file);
      // Like ssh with a private key: hashes readable by others are refused, with the fix named.
      if ((st.mode & 0o077) !== 0) {
        throw new OperatorError('store-unreadable', `${this.file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); fix with: chmod 600 ${this.file}`);
      }
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if (err instanceof OperatorError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, operators: [] };
      throw new OperatorError('store-unreadable', `cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new OperatorError('store-unreadable', `${this.file} is not valid JSON (${(err as Error).message}); restore it from backup, it was left untouched`, { cause: err });
    }
    const parsed = FileSchema.safeParse(data);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw new OperatorError('store-unreadable', `${this.file}: ${first.path.join('.') || '(root)'}: ${first.message}; it was left untouched`);
    }
    return parsed.data;
  }

  /** Read-modify-write under the lock; `change` edits the file in memory and may throw to abort. */
  private async mutate<T>(change: (file: OperatorsFile) => T): Promise<T> {
    mkdirSync(this.dataDir, { recursive: true });
    await this.lock();
    try {
      const file = this.read();
      const result = change(file);
      this.writeAtomically(`${JSON.stringify(file, null, 2)}\n`);
      return result;
    } finally {
      this.unlock();
    }
  }

  private writeAtomically(text: string): void {
    writeFileAtomically(this.file, text, 0o600);
  }

  private async lock(): Promise<void> {
    const { lockTimeoutMs, staleLockMs, lockRetryMs } = OPERATOR_STORE_DEFAULTS;
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      try {
        const fd = openSync(this.lockFile, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      try {
        if (Date.now() - statSync(this.lockFile).mtimeMs > staleLockMs) {
          unlinkSync(this.lockFile);
          continue;
        }
      } catch {
        continue; // released between our open and stat
      }
      if (Date.now() > deadline) {
        throw new OperatorError('store-busy', `${this.lockFile} is held by another minegate process; try again (remove the file if no other minegate user command is running)`);
      }
      await new Promise((r) => setTimeout(r, lockRetryMs));
    }
  }

  private unlock(): void {
    try {
      unlinkSync(this.lockFile);
    } catch {
      // Already gone (taken over as stale): nothing to release.
    }
  }
}
