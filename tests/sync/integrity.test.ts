// Seals and keys: what the substation signs, what a change to any of it does, and key files.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainHash, generateKeyPair, loadPrivateKey, loadPublicKey, sealBatch, verifyBatch, type BatchIdentity } from '../../sync/integrity.js';
import { SyncError } from '../../sync/sync-error.js';
import { tempDir } from './helpers/fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const id: BatchIdentity = { mineCode: '150622000001', substation: 'FZ01', stream: 'cdss', type: 'CDSS', firstSeq: 11, lastSeq: 20, name: '150622000001_CDSS_20260101080000.txt' };
const payload = Buffer.from('150622000001;测试煤矿;2026-01-01 08:00:00~CH4-01;环境瓦斯;3101回风巷;0.30;%CH4;0;2026-01-01 08:00:00~||');

describe('batch seals', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const prev = chainHash(GENESIS_HASH, Buffer.from('previous batch'));
  const seal = sealBatch(id, prev, payload, privateKey);

  it('chains to the previous hash and verifies with the substation public key', () => {
    expect(seal.prevHash).toBe(prev);
    expect(seal.hash).toBe(chainHash(prev, payload));
    expect(seal.hash).not.toBe(chainHash(GENESIS_HASH, payload)); // the same bytes elsewhere in the chain hash differently
    expect(verifyBatch(id, payload, seal, publicKey)).toEqual({ ok: true });
  });

  it('flags one changed payload byte as a hash mismatch', () => {
    const altered = Buffer.from(payload);
    altered[altered.length - 5] ^= 0x01;
    expect(verifyBatch(id, altered, seal, publicKey)).toMatchObject({ ok: false, reason: 'hash-mismatch' });
  });

  it('flags a recomputed hash, a changed sequence range, a renamed file or another key as a bad signature', () => {
    const altered = Buffer.from(payload.toString().replace('0.30', '0.03'));
    const forged = { ...seal, hash: chainHash(prev, altered) };
    expect(verifyBatch(id, altered, forged, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyBatch({ ...id, firstSeq: 12 }, payload, seal, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyBatch({ ...id, name: '150622000001_CDSS_20260101080001.txt' }, payload, seal, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyBatch({ ...id, substation: 'FZ02' }, payload, seal, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const other = generateKeyPairSync('ed25519');
    expect(verifyBatch(id, payload, seal, other.publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects malformed seals without throwing', () => {
    expect(verifyBatch(id, payload, { ...seal, prevHash: 'abc' }, publicKey)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyBatch({ ...id, lastSeq: 5 }, payload, seal, publicKey)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyBatch(id, payload, { ...seal, signature: '!!!' }, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('substation key files', () => {
  it('generates an Ed25519 pair as PEM files readable only by the owner, which load back and work together', () => {
    const paths = generateKeyPair(join(tmp.dir, 'keys'));
    expect(statSync(paths.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(paths.publicKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(paths.privateKeyPath, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const seal = sealBatch(id, GENESIS_HASH, payload, loadPrivateKey(paths.privateKeyPath));
    expect(verifyBatch(id, payload, seal, loadPublicKey(paths.publicKeyPath))).toEqual({ ok: true });
  });

  it('refuses to replace an existing key unless forced', () => {
    const dir = join(tmp.dir, 'keys');
    const first = generateKeyPair(dir);
    const before = readFileSync(first.privateKeyPath, 'utf8');
    expect(() => generateKeyPair(dir)).toThrow(expect.objectContaining({ code: 'key-exists' }));
    expect(readFileSync(first.privateKeyPath, 'utf8')).toBe(before);
    generateKeyPair(dir, { force: true });
    expect(readFileSync(first.privateKeyPath, 'utf8')).not.toBe(before);
  });

  it('names the file when a key cannot be used', () => {
    const junk = join(tmp.dir, 'junk.pem');
    writeFileSync(junk, 'not a key');
    const rsa = join(tmp.dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    for (const [path, fn] of [
      [junk, loadPrivateKey],
      [join(tmp.dir, 'missing.pem'), loadPublicKey],
      [rsa, loadPrivateKey],
    ] as const) {
      let err: unknown;
      try {
        fn(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SyncError);
      expect(err).toMatchObject({ code: 'bad-key', message: expect.stringContaining(path) });
    }
  });
});
