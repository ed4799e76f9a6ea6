// A whole upstream path for tests: outbox file → uplink → (proxy) → Mosquitto → reference receiver.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { Outbox, type OutboxOptions } from '../../../sync/outbox.js';
import { Receiver } from '../../../sync/receiver.js';
import { Uplink, type UplinkOptions } from '../../../sync/uplink.js';
import { waitFor } from '../../helpers/wait-for.js';
import { MINE, MINE_NAME, SUBSTATION, openOutboxDb, testKeys } from './fixtures.js';

export const keys = testKeys();
/** The platform's key pair: signs receipts (and commands). */
export const platformKeys = testKeys();

export interface Gateway {
  db: Database.Database;
  outbox: Outbox;
  uplink: Uplink;
  stop(): Promise<void>;
}

let clientSeq = 0;

/** Opens (or reopens) the outbox file and starts an uplink to `brokerUrl`. */
export function startGateway(dir: string, brokerUrl: string, opts: { outbox?: Partial<OutboxOptions>; uplink?: Partial<UplinkOptions> } = {}): Gateway {
  const db = openOutboxDb(join(dir, 'outbox.db'));
  const outbox = new Outbox({
    db,
    mineCode: MINE,
    mineName: MINE_NAME,
    substation: SUBSTATION,
    signingKey: keys.privateKey,
    flushIntervalMs: 20,
    ...opts.outbox,
  });
  const uplink = new Uplink({
    outbox,
    brokerUrl,
    mineCode: MINE,
    substation: SUBSTATION,
    // Unique per test file run: persistent sessions of earlier runs must not interfere.
    clientId: `gw-${process.pid}-${++clientSeq}`,
    reconnectInitialMs: 50,
    reconnectMaxMs: 500,
    ...opts.uplink,
  });
  uplink.start();
  return {
    db,
    outbox,
    uplink,
    stop: async () => {
      await uplink.stop();
      outbox.close();
      db.close();
    },
  };
}

export async function startReceiver(brokerUrl: string, extra: { outDir?: string; clientId?: string; stateFile?: string; receipts?: boolean } = {}): Promise<Receiver> {
  const receiver = new Receiver({
    brokerUrl,
    publicKey: keys.publicKey,
    clientId: extra.clientId ?? `rx-${process.pid}-${++clientSeq}`,
    ...(extra.outDir ? { outDir: extra.outDir } : {}),
    ...(extra.stateFile ? { stateFile: extra.stateFile } : {}),
    ...(extra.receipts ? { receiptKey: platformKeys.privateKey } : {}),
  });
  await receiver.start();
  return receiver;
}

export const streamKey = (stream: string): string => `${MINE}/${SUBSTATION}/${stream}`;

/** Waits until the receiver holds exactly 1..n of a stream as one contiguous range. */
export async function waitForSeqs(receiver: Receiver, stream: string, n: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () => {
      const r = receiver.received(streamKey(stream));
      return r.length === 1 && r[0]![0] === 1 && r[0]![1] === n;
    },
    { timeoutMs, what: `${stream} 1..${n} at the receiver (have ${JSON.stringify(receiver.received(streamKey(stream)).slice(0, 5))})` },
  );
}
