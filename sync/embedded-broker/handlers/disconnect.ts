// DISCONNECT: the client leaves cleanly; a persistent session stays for its return.
import type { BrokerCore, Connection } from '../broker-core.js';

export function handleDisconnect(broker: BrokerCore, c: Connection): void {
  broker.closeConnection(c);
}
