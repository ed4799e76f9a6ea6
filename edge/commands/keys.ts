// `minegate keys generate`: the substation's Ed25519 signing key for upstream batches, in
// <data-dir>/keys/ (substation.key.pem stays here; substation.pub.pem goes to the platform).
// Refuses to replace an existing key unless --force: the platform trusts this key, and a silent
// replacement would make every later batch fail its verification.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateKeyPair, loadPublicKey } from '../../sync/integrity.js';
import { SyncError } from '../../sync/sync-error.js';
import { fail, out } from './output.js';
import { dataDirOption } from '../locations.js';

interface KeysOptions {
  dataDir: string;
  name: string;
  force?: boolean;
}

/** SHA-256 of the public key (SPKI DER), hex in groups: what a technician reads to the platform on the phone. */
export function keyFingerprint(publicKeyPath: string): string {
  const der = loadPublicKey(publicKeyPath).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').match(/.{4}/g)!.join(':');
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('the substation key that signs everything sent upstream');
  keys
    .command('generate')
    .description('create <data-dir>/keys/substation.key.pem and substation.pub.pem (Ed25519)')
    .addOption(dataDirOption('gateway data directory'))
    .option('--name <stem>', 'file name stem', 'substation')
    .option('--force', 'replace an existing key (the platform must get the new public key)')
    .addHelpText(
      'after',
      `\nExamples:\n  minegate keys generate -d /var/lib/minegate\n  minegate keys generate -d /var/lib/minegate --force   # key rotation\n
Give keys/substation.pub.pem to the platform; keys/substation.key.pem never leaves the gateway.
Exit codes: 0 done, 1 failed (e.g. a key exists already).`,
    )
    .action((o: KeysOptions) => {
      const dir = join(resolve(o.dataDir), 'keys');
      try {
        const paths = generateKeyPair(dir, { name: o.name, ...(o.force ? { force: true } : {}) });
        out(`private key: ${paths.privateKeyPath} (mode 0600; never copy it off this gateway)`);
        out(`public key:  ${paths.publicKeyPath} (give this file to the platform)`);
        out(`fingerprint: ${keyFingerprint(paths.publicKeyPath)}`);
      } catch (err) {
        if (err instanceof SyncError && err.code === 'key-exists') {
          fail('keys generate', `${err.message}. A key exists already; keep it, or rotate with --force and give the platform the new public key`);
        } else fail('keys generate', (err as Error).message);
      }
    });
}
