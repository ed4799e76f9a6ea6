// The demo's in-process broker: MQTT 5 with user properties (aedes has no MQTT 5), persistent
// sessions for an offline platform, MQTT 3.1.1 clients, and the whole upstream path through it.
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, topicMatches, type EmbeddedBroker } from '../../sync/embedded-broker.js';
import type { Receiver } from '../../sync/receiver.js';
import { cdssStream, ycbjStream } from '../../sync/streams/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { cdssRecord, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startGateway, startReceiver, waitForSeqs, type Gateway } from './helpers/pipeline.js';

let tmp: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker | undefined;
let gateway: Gateway | undefined;
let receiver: Receiver | undefined;
const clients: mqtt.MqttClient[] = [];
beforeEach(() => (tmp = tempDir()));
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await gateway?.stop();
  await receiver?.stop();
  await broker?.close();
  gateway = receiver = broker = undefined;
  tmp.cleanup();
});

async function client(opts: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(broker!.url, { reconnectPeriod: 0, ...opts });
  clients.push(c);
  return c;
}

describe('embedded broker', () => {
  it('carries batches end to end from the outbox to the receiver over MQTT 5, on a free loopback port', async () => {
    broker = await startEmbeddedBroker();
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    receiver = await startReceiver(broker.url);
    gateway = startGateway(join(tmp.dir, 'gw'), broker.url);
    gateway.outbox.append(ycbjStream, ycbjRecord(Date.UTC(2026, 0, 1)));
    for (let i = 0; i < 500; i++) gateway.outbox.append(cdssStream, cdssRecord(0.3, Date.UTC(2026, 0, 1) + i * 1000));
    await waitForSeqs(receiver, 'ycbj', 1);
    await waitForSeqs(receiver, 'cdss', 500);
    expect(receiver.stats().failures).toBe(0);
  });

  it('passes MQTT 5 user properties through and answers QoS 1 with PUBACK', async () => {
    broker = await startEmbeddedBroker();
    const sub = await client({ protocolVersion: 5, clientId: 'sub' });
    await sub.subscribeAsync('a/+/c', { qos: 1 });
    const got = new Promise<mqtt.IPublishPacket>((resolve) => sub.once('message', (_t, _p, packet) => resolve(packet)));
    const pub = await client({ protocolVersion: 5, clientId: 'pub' });
    await pub.publishAsync('a/b/c', Buffer.from('x'), { qos: 1, properties: { userProperties: { hash: 'abc', firstSeq: '7' } } });
    const packet = await got;
    expect(packet.properties?.userProperties).toEqual({ hash: 'abc', firstSeq: '7' });
    expect(packet.qos).toBe(1);
    // Unsubscribe works for both protocol versions (MQTT 5 UNSUBACK carries reason codes, 3.1.1 none).
    await sub.unsubscribeAsync('a/+/c');
    const old = await client({ protocolVersion: 4, clientId: 'v311' });
    await old.subscribeAsync('a/#', { qos: 1 });
    await old.unsubscribeAsync('a/#');
  });

  it('queues QoS 1 messages for an offline persistent subscriber and delivers them, in order, when it returns', async () => {
    broker = await startEmbeddedBroker();
    const sessionOpts = { protocolVersion: 5 as const, clientId: 'platform', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const first = await client(sessionOpts);
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const pub = await client({ protocolVersion: 4, clientId: 'old-client' }); // an MQTT 3.1.1 publisher
    for (let i = 0; i < 50; i++) await pub.publishAsync('q/x', String(i), { qos: 1 });
    expect(broker.stats().queued).toBe(50);
    const seen: string[] = [];
    const back = mqtt.connect(broker.url, { ...sessionOpts, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_t, p) => seen.push(p.toString()));
    await waitFor(() => seen.length === 50, { what: 'queued messages delivered' });
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('keeps an offline session queue within its cap: the oldest messages go, the newest arrive in order', async () => {
    broker = await startEmbeddedBroker({ maxQueuedPerSession: 3 });
    const sessionOpts = { protocolVersion: 5 as const, clientId: 'platform', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const first = await client(sessionOpts);
    await first.subscribeAsync('q/#', { qos: 1 });
    await first.endAsync();
    const pub = await client({ protocolVersion: 5, clientId: 'pub' });
    for (let i = 0; i < 5; i++) await pub.publishAsync('q/x', String(i), { qos: 1 });
    expect(broker.stats().queued).toBe(3);
    const seen: string[] = [];
    const back = mqtt.connect(broker.url, { ...sessionOpts, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_t, p) => seen.push(p.toString()));
    await waitFor(() => seen.length === 3 && broker!.stats().queued === 0, { what: 'the kept messages delivered and acknowledged' });
    expect(seen).toEqual(['2', '3', '4']);
  });

  it('matches topic filters the MQTT way', () => {
    expect(topicMatches('minegate/+/+/+', 'minegate/150622000001/FZ01/CDSS')).toBe(true);
    expect(topicMatches('minegate/+/+/+', 'minegate/150622000001/FZ01')).toBe(false);
    expect(topicMatches('minegate/#', 'minegate/a/b/c')).toBe(true);
    expect(topicMatches('minegate/#', 'minegate')).toBe(true);
    expect(topicMatches('#', '$SYS/uptime')).toBe(false);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
  });

  it('rejects an invalid port', async () => {
    await expect(startEmbeddedBroker({ port: 70000 })).rejects.toThrow(TypeError);
  });
});
