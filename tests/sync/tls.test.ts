// TLS with client certificates (mutual TLS), as a national platform broker would require.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Receiver } from '../../sync/receiver.js';
import { ycbjStream } from '../../sync/streams/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { makePki, type TestPki } from './helpers/certs.js';
import { tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { keys, startGateway, waitForSeqs, type Gateway } from './helpers/pipeline.js';

let tmp: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: Mosquitto;
let gateway: Gateway | undefined;
let receiver: Receiver | undefined;

beforeAll(async () => {
  tmp = tempDir();
  pki = makePki(tmp.dir);
  broker = await startMosquitto({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey } });
});
afterEach(async () => {
  await gateway?.stop();
  await receiver?.stop();
  gateway = receiver = undefined;
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

it('delivers over mqtts:// with the substation client certificate and a pinned CA', async () => {
  expect(broker.url).toMatch(/^mqtts:/);
  const tls = { caPath: pki.ca, certPath: pki.clientCert, keyPath: pki.clientKey };
  receiver = new Receiver({ brokerUrl: broker.url, publicKey: keys.publicKey, clientId: `rx-tls-${process.pid}`, tls });
  await receiver.start();
  gateway = startGateway(join(tmp.dir, 'gw'), broker.url, { uplink: { tls } });
  for (let i = 0; i < 10; i++) gateway.outbox.append(ycbjStream, ycbjRecord(Date.UTC(2026, 0, 1) + i));
  await waitForSeqs(receiver, 'ycbj', 10);
  expect(receiver.stats().failures).toBe(0);
});

it('does not connect without a client certificate, or with a missing certificate file, and keeps the data', async () => {
  gateway = startGateway(join(tmp.dir, 'gw2'), broker.url, { uplink: { tls: { caPath: pki.ca } } });
  gateway.outbox.append(ycbjStream, ycbjRecord(Date.UTC(2026, 0, 1)));
  await waitFor(() => gateway!.uplink.status().lastError !== null && gateway!.outbox.stats().storedBatches === 1, { what: 'refused TLS handshake' });
  expect(gateway.uplink.status()).toMatchObject({ connects: 0, published: 0 });
  await gateway.stop();

  gateway = startGateway(join(tmp.dir, 'gw2'), broker.url, { uplink: { tls: { caPath: pki.ca, certPath: join(tmp.dir, 'nope.pem'), keyPath: pki.clientKey } } });
  await waitFor(() => /nope\.pem/.test(gateway!.uplink.status().lastError ?? ''), { what: 'missing certificate file named in the error' });
  expect(gateway.uplink.status()).toMatchObject({ connects: 0, published: 0 });
  expect(gateway.outbox.stats().storedBatches).toBe(1);
});
