// `minegate receive`: the reference receiver ("the platform" for tests, commissioning and the
// demo). Subscribes to every substation's batches on a broker, verifies signature, hash chain and
// record counts, drops duplicates, reports gaps, and writes the accepted files to a directory.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { receiveMain, type ReceiveMainOptions } from '../../sync/receive-main.js';
import { fail, out, untilInterrupted } from './output.js';

/** The command line: receiveMain's own options as given, TLS as file paths, times in seconds. */
type ReceiveOptions = Pick<ReceiveMainOptions, 'broker' | 'out' | 'key' | 'state' | 'receiptKey' | 'clientId'> & {
  ca?: string;
  cert?: string;
  clientKey?: string;
  insecure?: boolean;
  reportEvery: number;
  duration?: number;
};

export function registerReceive(program: Command): void {
  program
    .command('receive')
    .description('reference receiver: verify substation batches from a broker and write the files')
    .requiredOption('--broker <url>', 'broker URL, e.g. mqtt://127.0.0.1:1883 or mqtts://platform:8883')
    .requiredOption('--out <dir>', 'where accepted files go (<dir>/<mine>/<substation>/<stream>/)')
    .requiredOption('--key <file>', "the substation's public key (substation.pub.pem)")
    .option('--state <file>', 'SQLite ledger of received sequence ranges (survives restarts)', undefined)
    .option('--receipt-key <file>', "the platform's private key (platform.key.pem): publish signed receipts so substations free what was stored")
    .option('--client-id <id>', 'stable MQTT client id (the broker keeps batches for it while it is away)')
    .option('--ca <file>', 'CA bundle of the broker (mqtts)')
    .option('--cert <file>', 'client certificate (mutual TLS)')
    .option('--client-key <file>', 'client certificate key (mutual TLS)')
    .option('--insecure', 'accept a broker certificate that does not verify (lab only)')
    .option('--report-every <seconds>', 'summary line interval (0 = none)', Number, 10)
    .option('--duration <seconds>', 'stop after this many seconds', Number)
    .addHelpText(
      'after',
      `\nExamples:\n  minegate receive --broker mqtt://127.0.0.1:1883 --out ./platform --key /var/lib/minegate/keys/substation.pub.pem
  minegate receive --broker mqtts://platform:8883 --ca ca.pem --out ./platform --key substation.pub.pem --client-id platform-1 --receipt-key platform.key.pem\n
The ledger (default <out>/ledger.db) remembers every received range: a restarted receiver drops re-sent batches as duplicates.
Prints one line per verification failure and per reported gap, and a summary every --report-every seconds.
Waits for the broker when it is not up yet. Exit codes: 0 stopped cleanly, 1 failed (bad key).`,
    )
    .action(async (o: ReceiveOptions) => {
      const tls = o.ca || o.cert || o.clientKey || o.insecure
        ? { ...(o.ca ? { caPath: o.ca } : {}), ...(o.cert ? { certPath: o.cert } : {}), ...(o.clientKey ? { keyPath: o.clientKey } : {}), rejectUnauthorized: !o.insecure }
        : undefined;
      let running: Awaited<ReturnType<typeof receiveMain>>;
      try {
        running = await receiveMain({
          broker: o.broker,
          out: resolve(o.out),
          key: o.key,
          ...(o.state ? { state: resolve(o.state) } : {}),
          ...(o.receiptKey ? { receiptKey: o.receiptKey } : {}),
          ...(o.clientId ? { clientId: o.clientId } : {}),
          ...(tls ? { tls } : {}),
          reportEveryMs: Math.max(0, Math.round(o.reportEvery * 1000)),
          print: out,
        });
      } catch (err) {
        return fail('receive', (err as Error).message);
      }
      await (o.duration ? Promise.race([untilInterrupted(), new Promise((r) => setTimeout(r, o.duration! * 1000).unref())]) : untilInterrupted());
      const s = running.receiver.stats();
      await running.stop();
      out(`stopped: ${s.batches} batches, ${s.records} records, ${s.duplicates} duplicates, ${s.failures} failures`);
    });
}
