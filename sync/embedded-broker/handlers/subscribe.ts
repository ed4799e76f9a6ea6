// SUBSCRIBE: each valid filter is granted at most QoS 1; an invalid one gets its failure code
// (MQTT 5 0x8f "topic filter invalid", 3.1.1 0x80).
import type { ISubscribePacket } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';
import { validFilter } from '../topic-filter.js';

export function handleSubscribe(broker: BrokerCore, c: Connection, p: ISubscribePacket): void {
  const granted = p.subscriptions.map((sub) => {
    if (!validFilter(sub.topic)) return c.version === 5 ? 0x8f : 0x80;
    const qos = Math.min(sub.qos, 1) as 0 | 1;
    c.session!.subscriptions.set(sub.topic, qos);
    return qos;
  });
  broker.send(c, { cmd: 'suback', messageId: p.messageId, granted });
}
