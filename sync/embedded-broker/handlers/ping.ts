// PINGREQ: answer it (the dispatcher has already re-armed the keepalive).
import type { BrokerCore, Connection } from '../broker-core.js';

export function handlePing(broker: BrokerCore, c: Connection): void {
  broker.send(c, { cmd: 'pingresp' });
}
