// "The platform" for `npm start` / `minegate demo`: the embedded MQTT 5 broker, the reference
// receiver writing verified files to <data-dir>/platform/, and a platform key that signs one
// time-sync command once the gateway is connected, so the demo shows data going up, being
// verified, and a signed command coming down. Keys are generated on first start:
//   <data-dir>/keys/substation.{key,pub}.pem   the gateway's signing key (as `minegate keys generate`)
//   <data-dir>/platform/keys/platform.{key,pub}.pem   the demo platform's key; its public half is
//   copied to <data-dir>/keys/platform.pub.pem, where the gateway looks for it.
// Demo only: a real platform runs its own broker and receiver and keeps its private key to itself.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SYNC_DEFAULTS, SyncSchema } from '../board-configs/sync-schema.js';
import type { Capability } from '../edge/capability.js';
import type { LoadedConfig } from '../edge/config/load-config.js';
import type { StatusSection } from '../edge/status-view.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import { generateKeyPair, loadPrivateKey, loadPublicKey } from './integrity.js';
import { PlatformCommander } from './platform-commander.js';
import { Receiver } from './receiver.js';
import { messageOf, type SyncLogger } from './sync-error.js';

export interface DemoPlatform {
  /** The config with its sync section pointed at the demo broker (build the gateway from this one). */
  loaded: LoadedConfig;
  /** Any (re)loaded version of the config, pointed at the demo broker the same way: what a reload runs. */
  pointAt(loaded: LoadedConfig): LoadedConfig;
  broker: EmbeddedBroker;
  receiver: Receiver;
  /** Where the receiver writes the files it accepted. */
  outDir: string;
  /** A status section ("platform (demo)") for the live screen. */
  capability: Capability;
  stop(): Promise<void>;
}

/** Substation and platform key pairs in the data dir, created when missing. Returns the paths used. */
export function ensureDemoKeys(dataDir: string): { substationKey: string; platformKey: string; platformPub: string } {
  const keys = join(dataDir, 'keys');
  const substationKey = join(dataDir, SYNC_DEFAULTS.privateKeyPath);
  // Only when the private key is missing; a public half left alone is useless and is replaced.
  if (!existsSync(substationKey)) generateKeyPair(keys, { name: 'substation', force: true });
  const platformDir = join(dataDir, 'platform', 'keys');
  const platformKey = join(platformDir, 'platform.key.pem');
  if (!existsSync(platformKey)) generateKeyPair(platformDir, { name: 'platform', force: true });
  const platformPub = join(dataDir, SYNC_DEFAULTS.platformKeyPath);
  copyFileSync(join(platformDir, 'platform.pub.pem'), platformPub);
  return { substationKey, platformKey, platformPub };
}

/**
 * Starts broker, keys and receiver, and returns the config with its sync section pointed at the
 * broker (a config without one gets the defaults). Build the gateway from the returned `loaded`.
 */
export async function startDemoPlatform(loaded: LoadedConfig, dataDir: string, logger: SyncLogger): Promise<DemoPlatform> {
  const keys = ensureDemoKeys(dataDir);
  const broker = await startEmbeddedBroker({ logger });
  const outDir = join(dataDir, 'platform', 'received');
  // The demo platform receipts what it stored (end-to-end delivery) and keeps its ledger on disk.
  const receiver = new Receiver({
    brokerUrl: broker.url,
    publicKey: loadPublicKey(keys.substationKey),
    outDir,
    clientId: 'minegate-demo-platform',
    receiptKey: loadPrivateKey(keys.platformKey),
    stateFile: join(dataDir, 'platform', 'ledger.db'),
    logger,
  });
  const commander = new PlatformCommander({ brokerUrl: broker.url, platformKey: loadPrivateKey(keys.platformKey) });
  try {
    await receiver.start();
    await commander.start();
  } catch (err) {
    await receiver.stop();
    await commander.stop();
    await broker.close();
    throw err;
  }
  // The demo's own broker, whatever the example config says about a real platform. The loaded
  // config is frozen (shared by every part of the gateway): a copy with the new section.
  const pointAt = (l: LoadedConfig): LoadedConfig => {
    const sync = SyncSchema.parse({ ...(l.config.sync ?? {}), brokerUrl: broker.url, privateKeyPath: keys.substationKey, platformKeyPath: keys.platformPub });
    return { ...l, config: Object.freeze({ ...l.config, sync: Object.freeze(sync) }) };
  };
  const { config } = pointAt(loaded);
  let timeSyncSent = false;
  let commandError: string | null = null;
  receiver.on('batch', () => {
    // The first batch means the gateway is connected and subscribed to its command topic.
    if (timeSyncSent) return;
    timeSyncSent = true;
    commander.send(config.mine.code, config.substation.code, 'time-sync', { platformTime: Date.now() }).catch((err: unknown) => {
      commandError = messageOf(err);
      logger.warn({ err: commandError }, 'demo platform could not send its time-sync command');
    });
  });
  const capability: Capability = {
    name: 'demo-platform',
    start: () => undefined,
    stop: () => undefined,
    status: (): StatusSection[] => {
      const s = receiver.stats();
      const open = receiver.gaps().filter((g) => !g.explained).length;
      const body = [
        `platform (demo receiver on ${broker.url}): verified ${s.batches} batches, ${s.records} records; duplicates dropped ${s.duplicates}; verification failures ${s.failures}; unexplained gaps ${open}; gaps reported by the substation ${s.reportedDropped} records`,
        `files in ${outDir}${timeSyncSent ? '; time-sync command sent' : ''}${commandError ? ` (FAILED: ${commandError})` : ''}`,
      ].join('\n');
      return [{ title: 'platform (demo)', body }];
    },
    statusJson: () => ({ ...receiver.stats(), unexplainedGaps: receiver.gaps().filter((g) => !g.explained).length, outDir, broker: broker.url }),
  };
  return {
    loaded: { ...loaded, config },
    pointAt,
    broker,
    receiver,
    outDir,
    capability,
    stop: async () => {
      await commander.stop();
      await receiver.stop();
      await broker.close();
    },
  };
}
