// The reference receiver's MQTT side: one MQTT 5 client with a persistent session that subscribes
// to the substations' batches (and again after each reconnect), and the signed receipts it
// publishes back per substation. Verification and the ledger stay out of here (receiver.ts).
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { signReceipt, RECEIPT_VERSION } from './receipts.js';
import type { ReceiverOptions } from './receiver-types.js';
import { messageOf, type SyncLogger } from './sync-error.js';
import { ALL_BATCHES, receiptTopic } from './topics.js';

/** Ranges to receipt: "<mine>/<substation>" → stream → inclusive sequence ranges. */
export type ReceiptRanges = Map<string, Map<string, [number, number][]>>;

export type MessageHandler = (topic: string, payload: Buffer, props: Record<string, string | string[]>) => void;

function clientOptions(o: ReceiverOptions): IClientOptions {
  const clientOpts: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId ?? 'minegate-receiver',
    clean: o.clean ?? false,
    reconnectPeriod: 500,
    properties: { sessionExpiryInterval: o.sessionExpirySec ?? 7 * 86_400 },
    messageIdProvider: new mqtt.UniqueMessageIdProvider(),
  };
  if (o.username !== undefined) clientOpts.username = o.username;
  if (o.password !== undefined) clientOpts.password = o.password;
  if (o.tls?.caPath) clientOpts.ca = readFileSync(o.tls.caPath);
  if (o.tls?.certPath) clientOpts.cert = readFileSync(o.tls.certPath);
  if (o.tls?.keyPath) clientOpts.key = readFileSync(o.tls.keyPath);
  if (o.tls) clientOpts.rejectUnauthorized = o.tls.rejectUnauthorized ?? true;
  return clientOpts;
}

/**
 * Connects and subscribes. The client is handed back at once, not after the subscription: a
 * persistent session delivers queued batches right after CONNACK, and their receipts need it.
 */
export function connectReceiver(o: ReceiverOptions, onMessage: MessageHandler, log: SyncLogger): { client: MqttClient; subscribed: Promise<void> } {
  const client = mqtt.connect(o.brokerUrl, clientOptions(o));
  client.on('message', (topic, payload, packet) => {
    try {
      onMessage(topic, payload, packet.properties?.userProperties ?? {});
    } catch (err) {
      log.error({ topic, err: messageOf(err) }, 'receiver failed on a message');
    }
  });
  client.on('error', (err) => log.warn({ err: messageOf(err) }, 'receiver connection error'));
  const subscribed = new Promise<void>((resolve, reject) => {
    const subscribe = (): void => {
      client.subscribe(o.topicFilter ?? ALL_BATCHES, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    };
    if (client.connected) subscribe();
    else client.once('connect', subscribe);
  });
  // After a reconnect, the persistent session keeps the subscription; subscribing again is harmless.
  void subscribed.then(() => {
    client.on('connect', () => client.subscribe(o.topicFilter ?? ALL_BATCHES, { qos: 1 }));
  }, () => {});
  return { client, subscribed };
}

/** One signed receipt per substation; returns how many were published. */
export function publishReceipts(client: MqttClient, key: KeyObject, receipts: ReceiptRanges): number {
  let sent = 0;
  for (const [sub, streams] of receipts) {
    const [mineCode, substation] = sub.split('/') as [string, string];
    const { payload, signature } = signReceipt({ v: RECEIPT_VERSION, mineCode, substation, issuedAt: Date.now(), streams: Object.fromEntries(streams) }, key);
    // QoS 1; if it is lost anyway, the substation's receipt timeout re-sends and we receipt the duplicate.
    client.publish(receiptTopic(mineCode, substation), payload, { qos: 1, properties: { userProperties: { signature } } });
    sent++;
  }
  return sent;
}
