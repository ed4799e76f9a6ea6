// Password hashing with scrypt (node:crypto): a random salt per password, the cost parameters
// stored with the hash so they can be raised later without breaking old accounts, and a
// constant-time comparison so response time does not leak how much of a guess was right.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export const PASSWORD_HASH_DEFAULTS = {
  /** CPU/memory cost: 2^15 takes ~50-100 ms on an x86 core, a few hundred ms on a small ARM box. */
  N: 32768,
  r: 8,
  p: 1,
  saltBytes: 16,
  keyBytes: 32,
} as const;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly the default cost, so leave room.
  const maxmem = 256 * params.N * params.r;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64>$<key b64>` for a password. */
export async function hashPassword(password: string, params: ScryptParams = PASSWORD_HASH_DEFAULTS): Promise<string> {
  if (typeof password !== 'string') throw new TypeError(`hashPassword: password must be a string, got ${typeof password}`);
  for (const k of ['N', 'r', 'p'] as const) {
    if (!Number.isInteger(params[k]) || params[k] < 1) throw new TypeError(`hashPassword: ${k} must be a positive integer, got ${String(params[k])}`);
  }
  const salt = randomBytes(PASSWORD_HASH_DEFAULTS.saltBytes);
  const key = await derive(password, salt, PASSWORD_HASH_DEFAULTS.keyBytes, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches a stored hash. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m || typeof password !== 'string') return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // A tampered file must not make us allocate gigabytes.
  if (params.N > 2 ** 20 || params.r > 32 || params.p > 16) return false;
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  if (expected.length < 16) return false;
  const actual = await derive(password, salt, expected.length, params);
  return timingSafeEqual(actual, expected);
}

/** A well-formed hash of a random secret: verified against when the user is unknown, so timing is equal. */
const decoys = new Map<string, Promise<string>>();
export function decoyHash(params: ScryptParams = PASSWORD_HASH_DEFAULTS): Promise<string> {
  const key = `${params.N}/${params.r}/${params.p}`;
  let decoy = decoys.get(key);
  if (!decoy) {
    decoy = hashPassword(randomBytes(24).toString('base64'), params);
    decoys.set(key, decoy);
  }
  return decoy;
}
