// The runtime's one-call wiring: keys from files, outbox file, uplink, command downlink.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { signCommand } from '../../sync/downlink.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../sync/embedded-broker.js';
import { generateKeyPair, loadPrivateKey, loadPublicKey } from '../../sync/integrity.js';
import { Receiver } from '../../sync/receiver.js';
import { cdssStream } from '../../sync/streams/index.js';
import { startSync, type SyncService } from '../../sync/sync-service.js';
import { commandTopic } from '../../sync/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { MINE, MINE_NAME, SUBSTATION, cdssRecord, tempDir } from './helpers/fixtures.js';
import { streamKey } from './helpers/pipeline.js';

let tmp: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker | undefined;
let sync: SyncService | undefined;
let receiver: Receiver | undefined;
let platformClient: mqtt.MqttClient | undefined;
beforeEach(() => (tmp = tempDir()));
afterEach(async () => {
  await platformClient?.endAsync(true);
  await sync?.stop();
  await receiver?.stop();
  await broker?.close();
  sync = receiver = broker = platformClient = undefined;
  tmp.cleanup();
});

it('wires keys, outbox, uplink and downlink: data goes up, a signed command runs, its result comes back', async () => {
  broker = await startEmbeddedBroker();
  const substationKeys = generateKeyPair(join(tmp.dir, 'keys'));
  const platformKeys = generateKeyPair(join(tmp.dir, 'platform'), { name: 'platform' });
  receiver = new Receiver({ brokerUrl: broker.url, publicKey: loadPublicKey(substationKeys.publicKeyPath), clientId: 'platform-rx' });
  await receiver.start();
  sync = startSync({
    file: join(tmp.dir, 'data', 'outbox.db'),
    mineCode: MINE,
    mineName: MINE_NAME,
    substation: SUBSTATION,
    privateKeyPath: substationKeys.privateKeyPath,
    platformKeyPath: platformKeys.publicKeyPath,
    brokerUrl: broker.url,
    uplink: { reconnectInitialMs: 50 },
  });
  const cutZones: unknown[] = [];
  sync.downlink!.onCommand('cutoff', (c) => cutZones.push(c.args['zones']));
  for (let i = 0; i < 20; i++) sync.outbox.append(cdssStream, cdssRecord(0.3, Date.UTC(2026, 0, 1) + i * 10_000));
  await waitFor(() => receiver!.recordCount(streamKey('cdss')) === 20, { what: 'readings at the platform' });

  platformClient = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'platform-tx' });
  const cmd = { id: 'c-1', kind: 'cutoff' as const, args: { zones: ['z1'] }, issuedAt: Date.now(), expiresAt: Date.now() + 60_000, nonce: 'n'.repeat(16) };
  const signed = signCommand(cmd, loadPrivateKey(platformKeys.privateKeyPath));
  await platformClient.publishAsync(commandTopic(MINE, SUBSTATION), signed.payload, { qos: 1, properties: { userProperties: { signature: signed.signature } } });
  await waitFor(() => receiver!.recordCount(streamKey('cmdack')) === 2, { what: 'accepted + completed acks at the platform' });
  expect(cutZones).toEqual([['z1']]);
});

it('fails on a bad substation key before creating any file, and runs without downlink when no platform key is set', async () => {
  const file = join(tmp.dir, 'data', 'outbox.db');
  expect(() => startSync({ file, mineCode: MINE, mineName: MINE_NAME, substation: SUBSTATION, privateKeyPath: join(tmp.dir, 'missing.pem'), brokerUrl: 'mqtt://127.0.0.1:1' })).toThrow(
    expect.objectContaining({ code: 'bad-key' }),
  );
  expect(existsSync(file)).toBe(false);
  const keys = generateKeyPair(join(tmp.dir, 'keys'));
  sync = startSync({ file, mineCode: MINE, mineName: MINE_NAME, substation: SUBSTATION, privateKeyPath: keys.privateKeyPath, brokerUrl: 'mqtt://127.0.0.1:1' });
  expect(sync.downlink).toBeNull();
  expect(sync.db.pragma('auto_vacuum', { simple: true })).toBe(2);
});
