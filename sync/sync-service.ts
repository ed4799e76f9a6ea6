// Everything upstream in one object for the runtime: the outbox file, the uplink to the platform
// broker, and (when a platform key is configured) the command downlink on the same connection.
//
//   const sync = startSync({ file, mineCode, mineName, substation, privateKeyPath, brokerUrl, platformKeyPath });
//   sync.outbox.append(cdssStream, record);          // from the polling / safety path
//   sync.downlink?.onCommand('cutoff', handler);     // remote cut-off
//   await sync.stop();                                // on shutdown
import type Database from 'better-sqlite3';
import { Downlink, type DownlinkOptions } from './downlink.js';
import { loadPrivateKey, loadPublicKey } from './integrity.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import { openSyncDatabase } from './sync-database.js';
import { silentLogger, type SyncLogger } from './sync-error.js';
import { Uplink, type ReceiptOptions, type UplinkOptions } from './uplink.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export interface SyncServiceOptions {
  /** The outbox database file (its own file; see README). */
  file: string;
  mineCode: string;
  mineName: string;
  substation: string;
  /** The substation's Ed25519 private key (generateKeyPair / `minegate keys generate`). */
  privateKeyPath: string;
  brokerUrl: string;
  /** The platform's Ed25519 public key; without it no command is ever accepted (no downlink). */
  platformKeyPath?: string;
  outbox?: Omit<OutboxOptions, 'db' | 'mineCode' | 'mineName' | 'substation' | 'signingKey' | 'logger'>;
  uplink?: Omit<UplinkOptions, 'outbox' | 'brokerUrl' | 'mineCode' | 'substation' | 'logger'>;
  downlink?: Omit<DownlinkOptions, 'db' | 'outbox' | 'platformKey' | 'mineCode' | 'substation' | 'logger'>;
  /** End-to-end receipts signed with the platform key (needs platformKeyPath): batches are freed only by a receipt. */
  receipts?: Omit<ReceiptOptions, 'platformKey'>;
  logger?: SyncLogger;
}

export interface SyncService {
  db: Database.Database;
  outbox: Outbox;
  uplink: Uplink;
  /** null when no platform key is configured. */
  downlink: Downlink | null;
  /** Stops the uplink, writes what is queued, closes the file. */
  stop(): Promise<void>;
}

export function startSync(o: SyncServiceOptions): SyncService {
  if (!o || typeof o !== 'object') throw new TypeError(`startSync: options must be an object, got ${String(o)}`);
  const log = o.logger ?? silentLogger;
  // Keys first: a bad key must fail start-up before anything is opened.
  const signingKey = loadPrivateKey(o.privateKeyPath);
  const platformKey = o.platformKeyPath !== undefined ? loadPublicKey(o.platformKeyPath) : null;
  if (o.receipts && !platformKey) throw new TypeError('startSync: receipts need platformKeyPath (the key that signs them)');
  const db = openSyncDatabase(o.file);
  // Checkpoints (the only fsync in WAL/NORMAL) off the event loop that runs polling and interlocks.
  const checkpointer = startWalCheckpointer(db, o.file, { logger: log });
  try {
    const outbox = new Outbox({ ...o.outbox, db, mineCode: o.mineCode, mineName: o.mineName, substation: o.substation, signingKey, logger: log });
    outbox.delegateWalTruncate(() => checkpointer.truncate());
    const receipts = o.receipts && platformKey ? { receipts: { ...o.receipts, platformKey } } : {};
    const uplink = new Uplink({ ...o.uplink, ...receipts, outbox, brokerUrl: o.brokerUrl, mineCode: o.mineCode, substation: o.substation, logger: log });
    let downlink: Downlink | null = null;
    if (platformKey) {
      downlink = new Downlink({ ...o.downlink, db, outbox, platformKey, mineCode: o.mineCode, substation: o.substation, logger: log });
      downlink.attach(uplink);
    } else {
      log.warn({}, 'no platform public key configured: remote commands are disabled');
    }
    uplink.start();
    let stopped = false;
    return {
      db,
      outbox,
      uplink,
      downlink,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await uplink.stop();
        outbox.close();
        await checkpointer.stop();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    void checkpointer.stop();
    throw err;
  }
}
