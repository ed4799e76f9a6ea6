// PUBACK from a client: that delivery is done; its window slot takes the next queued message.
import type { IPubackPacket } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';

export function handlePuback(broker: BrokerCore, c: Connection, p: IPubackPacket): void {
  const s = c.session!;
  if (p.messageId !== undefined) s.inFlight.delete(p.messageId);
  broker.flushQueue(s);
}
