// PUBLISH from a client: route it to the matching subscriptions; QoS 1 gets a PUBACK (MQTT 5:
// 0x10 "no matching subscribers" when nobody took it). QoS 2 is not offered (CONNACK maximumQoS 1).
import type { IPublishPacket } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';

export function handlePublish(broker: BrokerCore, c: Connection, p: IPublishPacket): void {
  if (p.qos === 2) return broker.closeConnection(c);
  const receivers = broker.route({ topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, userProperties: p.properties?.userProperties });
  if (p.qos === 1) {
    broker.send(c, c.version === 5 ? { cmd: 'puback', messageId: p.messageId!, reasonCode: receivers > 0 ? 0 : 0x10 } : { cmd: 'puback', messageId: p.messageId! });
  }
}
