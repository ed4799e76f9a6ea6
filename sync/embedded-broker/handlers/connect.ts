// CONNECT: protocol version, session (new, resumed, or taken over from another connection),
// keepalive, CONNACK, then the resumed session's unacknowledged and queued messages.
import type { IConnectPacket } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';

export function handleConnect(broker: BrokerCore, c: Connection, p: IConnectPacket): void {
  const version = p.protocolVersion;
  if (version !== 4 && version !== 5) {
    c.version = 4;
    broker.send(c, { cmd: 'connack', returnCode: 1, sessionPresent: false }); // unacceptable protocol version
    broker.closeConnection(c);
    return;
  }
  c.version = version;
  c.setProtocolVersion(version);
  const persistent = version === 5 ? (p.properties?.sessionExpiryInterval ?? 0) > 0 : p.clean === false;
  let clientId = p.clientId;
  let assigned: string | undefined;
  if (!clientId) {
    if (version === 4 && persistent) {
      broker.send(c, { cmd: 'connack', returnCode: 2, sessionPresent: false }); // identifier rejected
      broker.closeConnection(c);
      return;
    }
    clientId = assigned = broker.nextAnonymousId();
  }
  let s = broker.sessions.get(clientId);
  if (s?.connection) {
    const old = s.connection;
    if (old.version === 5) broker.send(old, { cmd: 'disconnect', reasonCode: 0x8e }); // session taken over
    broker.closeConnection(old);
  }
  const startClean = p.clean !== false;
  if (s && startClean) {
    broker.sessions.delete(clientId);
    s = undefined;
  }
  const sessionPresent = s !== undefined;
  if (!s) {
    s = broker.newSession(clientId, persistent);
    broker.sessions.set(clientId, s);
  }
  s.persistent = persistent;
  s.connection = c;
  c.session = s;
  c.keepaliveMs = (p.keepalive ?? 0) * 1000;
  broker.armKeepalive(c);
  if (version === 5) {
    broker.send(c, {
      cmd: 'connack',
      reasonCode: 0,
      sessionPresent,
      properties: { maximumQoS: 1, retainAvailable: false, ...(assigned ? { assignedClientIdentifier: assigned } : {}) },
    });
  } else {
    broker.send(c, { cmd: 'connack', returnCode: 0, sessionPresent });
  }
  // Resume: unacknowledged deliveries again (DUP), in order, then what queued while away.
  for (const [id, m] of [...s.inFlight].sort((a, b) => a[0] - b[0])) broker.deliver(s, m, true, id);
  broker.flushQueue(s);
}
