// UNSUBSCRIBE: forget the filters and confirm.
import type { IUnsubscribePacket } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';

export function handleUnsubscribe(broker: BrokerCore, c: Connection, p: IUnsubscribePacket): void {
  for (const t of p.unsubscriptions) c.session!.subscriptions.delete(t);
  // MQTT 5 carries one reason code per filter; 3.1.1 writes none (the codec ignores `granted` there).
  broker.send(c, { cmd: 'unsuback', messageId: p.messageId, granted: p.unsubscriptions.map(() => 0) });
}
