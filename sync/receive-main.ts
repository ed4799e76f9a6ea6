// `minegate receive`: the reference receiver run as a process: keys from PEM files, the ledger in
// <out>/ledger.db, one printed line per verification failure and per reported gap, and a periodic
// one-line summary. edge/commands/receive.ts parses the command line and calls receiveMain.
import { join } from 'node:path';
import { loadPrivateKey, loadPublicKey } from './integrity.js';
import { Receiver } from './receiver.js';
import type { SyncLogger } from './sync-error.js';
import type { TlsFiles } from './uplink-options.js';

export interface ReceiveMainOptions {
  broker: string;
  out: string;
  /** Path of the substation public key (PEM). */
  key: string;
  /** The ledger's SQLite file; default <out>/ledger.db. */
  state?: string;
  /** Path of the platform's private key (PEM): publish signed receipts. */
  receiptKey?: string;
  clientId?: string;
  tls?: TlsFiles;
  logger?: SyncLogger;
  /** Where the periodic one-line summary goes; default stdout. */
  print?: (line: string) => void;
  /** Summary interval; 0 = none. */
  reportEveryMs?: number;
}

/** `minegate receive --broker <url> --out <dir> --key <substation public key>`: runs until stop() is called. */
export async function receiveMain(opts: ReceiveMainOptions): Promise<{ receiver: Receiver; stop: () => Promise<void> }> {
  const receiver = new Receiver({
    brokerUrl: opts.broker,
    publicKey: loadPublicKey(opts.key),
    outDir: opts.out,
    stateFile: opts.state ?? join(opts.out, 'ledger.db'),
    ...(opts.receiptKey ? { receiptKey: loadPrivateKey(opts.receiptKey) } : {}),
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  receiver.on('failure', (f) => print(`VERIFICATION FAILED ${f.stream} ${f.firstSeq ?? '?'}..${f.lastSeq ?? '?'}: ${f.reason}: ${f.detail}`));
  receiver.on('marker', (stream, m) => print(`gap reported by substation: ${stream} ${m.firstSeq ?? '-'}..${m.lastSeq ?? '-'} ${m.records} records (${m.reason})`));
  await receiver.start();
  print(`receiving from ${opts.broker} into ${opts.out}`);
  const every = opts.reportEveryMs ?? 10_000;
  const timer =
    every > 0
      ? setInterval(() => {
          const s = receiver.stats();
          const open = receiver.gaps().filter((g) => !g.explained).length;
          print(`batches ${s.batches} records ${s.records} duplicates ${s.duplicates} failures ${s.failures} reported-dropped ${s.reportedDropped} unexplained-gaps ${open}`);
        }, every)
      : null;
  return {
    receiver,
    stop: async () => {
      if (timer) clearInterval(timer);
      await receiver.stop();
    },
  };
}
