// Tamper evidence for what leaves the substation. Each batch is sealed once, when it is written to
// the outbox: its hash chains it to the previous batch of the same stream (SHA-256 over the previous
// hash and the exact payload bytes), and an Ed25519 signature over the hash and the batch's identity
// (mine, substation, stream, sequence range, file name) proves which substation made it. The seal is
// stored with the batch, so a re-send after a restart is byte-identical, and any change to a stored
// row before it is drained makes the receiver reject the batch.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SyncError, messageOf } from './sync-error.js';

/** prevHash of the first batch of a stream. */
export const GENESIS_HASH = '0'.repeat(64);

const HEX_HASH = /^[0-9a-f]{64}$/;

/** What a batch claims to be; all of it is covered by the signature. */
export interface BatchIdentity {
  mineCode: string;
  substation: string;
  stream: string;
  /** File type / topic suffix, e.g. CDSS. */
  type: string;
  firstSeq: number;
  lastSeq: number;
  /** The file name the payload is delivered as. */
  name: string;
}

export interface Seal {
  /** Hex SHA-256 of the previous batch of the stream (GENESIS_HASH for the first). */
  prevHash: string;
  /** Hex SHA-256 over the raw 32 bytes of prevHash followed by the payload bytes. */
  hash: string;
  /** Base64 Ed25519 signature over signingInput(identity, seal). */
  signature: string;
}

export type VerifyFailure = 'malformed' | 'hash-mismatch' | 'bad-signature';
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; detail: string };

/** SHA-256(prevHash bytes ‖ payload), hex. */
export function chainHash(prevHash: string, payload: Uint8Array): string {
  if (!HEX_HASH.test(prevHash)) throw new TypeError(`chainHash: prevHash must be 64 hex digits, got ${JSON.stringify(prevHash)}`);
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(payload).digest('hex');
}

/** The exact bytes that are signed. A versioned, line-based form: no JSON canonicalisation questions. */
export function signingInput(id: BatchIdentity, prevHash: string, hash: string): Buffer {
  return Buffer.from(
    ['minegate-batch/1', id.mineCode, id.substation, id.stream, id.type, id.firstSeq, id.lastSeq, id.name, prevHash, hash].join('\n'),
    'utf8',
  );
}

/** Seals a batch: chain hash over the payload, then the substation's signature. */
export function sealBatch(id: BatchIdentity, prevHash: string, payload: Uint8Array, privateKey: KeyObject): Seal {
  const hash = chainHash(prevHash, payload);
  const signature = sign(null, signingInput(id, prevHash, hash), privateKey).toString('base64');
  return { prevHash, hash, signature };
}

/** Recomputes the hash from the payload and checks the signature. Chain continuity is the receiver's job. */
export function verifyBatch(id: BatchIdentity, payload: Uint8Array, seal: Seal, publicKey: KeyObject): VerifyResult {
  if (!HEX_HASH.test(seal.prevHash) || !HEX_HASH.test(seal.hash)) {
    return { ok: false, reason: 'malformed', detail: 'prevHash and hash must be 64 lowercase hex digits' };
  }
  if (!Number.isSafeInteger(id.firstSeq) || !Number.isSafeInteger(id.lastSeq) || id.firstSeq < 1 || id.lastSeq < id.firstSeq) {
    return { ok: false, reason: 'malformed', detail: `bad sequence range ${id.firstSeq}..${id.lastSeq}` };
  }
  const actual = chainHash(seal.prevHash, payload);
  if (actual !== seal.hash) {
    return { ok: false, reason: 'hash-mismatch', detail: `payload hashes to ${actual}, batch claims ${seal.hash}` };
  }
  let good = false;
  try {
    good = verify(null, signingInput(id, seal.prevHash, seal.hash), publicKey, Buffer.from(seal.signature, 'base64'));
  } catch (err) {
    return { ok: false, reason: 'bad-signature', detail: messageOf(err) };
  }
  return good ? { ok: true } : { ok: false, reason: 'bad-signature', detail: 'signature does not match the substation key' };
}

export interface KeyPairPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

/**
 * Creates the substation's Ed25519 key pair as PEM files (`<name>.key.pem` PKCS#8 and
 * `<name>.pub.pem` SPKI), both mode 0600, for `minegate keys generate`. Refuses to overwrite an
 * existing key unless `force`: replacing it silently would break the chain of trust upstream.
 */
export function generateKeyPair(dir: string, opts: { name?: string; force?: boolean } = {}): KeyPairPaths {
  if (typeof dir !== 'string' || dir.trim() === '') throw new TypeError(`generateKeyPair: dir must be a directory path, got ${JSON.stringify(dir)}`);
  const name = opts.name ?? 'substation';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new TypeError(`generateKeyPair: name must be a plain file stem, got ${JSON.stringify(name)}`);
  const privateKeyPath = join(resolve(dir), `${name}.key.pem`);
  const publicKeyPath = join(resolve(dir), `${name}.pub.pem`);
  if (!opts.force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (existsSync(path)) throw new SyncError('key-exists', `${path} already exists; refusing to replace the substation key (use force to rotate it)`);
    }
  }
  mkdirSync(resolve(dir), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  // 'wx' creates exclusively unless forced; chmod afterwards because a forced overwrite keeps the old mode.
  writeFileSync(privateKeyPath, privatePem, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
  chmodSync(privateKeyPath, 0o600);
  writeFileSync(publicKeyPath, publicPem, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
  chmodSync(publicKeyPath, 0o600);
  return { privateKeyPath, publicKeyPath };
}

/** Reads an Ed25519 private key (PKCS#8 PEM). Throws SyncError 'bad-key' naming the file. */
export function loadPrivateKey(path: string): KeyObject {
  const key = readKey(path, (pem) => createPrivateKey(pem));
  if (key.asymmetricKeyType !== 'ed25519') throw new SyncError('bad-key', `${path}: expected an Ed25519 private key, got ${String(key.asymmetricKeyType)}`);
  return key;
}

/** Reads an Ed25519 public key (SPKI PEM); a private key file is also accepted (its public half is used). */
export function loadPublicKey(path: string): KeyObject {
  const key = readKey(path, (pem) => createPublicKey(pem));
  if (key.asymmetricKeyType !== 'ed25519') throw new SyncError('bad-key', `${path}: expected an Ed25519 public key, got ${String(key.asymmetricKeyType)}`);
  return key;
}

function readKey(path: string, parse: (pem: string) => KeyObject): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SyncError('bad-key', `${path}: cannot read key file: ${messageOf(err)}`, { cause: err });
  }
  try {
    return parse(pem);
  } catch (err) {
    throw new SyncError('bad-key', `${path}: not a PEM key: ${messageOf(err)}`, { cause: err });
  }
}
