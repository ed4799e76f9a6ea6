// Dispatch: one handler per packet type (the layout of aedes lib/handlers and MQTT.js
// src/lib/handlers). Every packet re-arms the keepalive; anything before CONNECT, a second
// CONNECT, or a packet type not offered (QoS 2 flows, AUTH) closes the connection.
import type { IConnectPacket, IPubackPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet } from 'mqtt-packet';
import type { BrokerCore, Connection } from '../broker-core.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePing } from './ping.js';
import { handlePuback } from './puback.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

export function handlePacket(broker: BrokerCore, c: Connection, packet: Packet): void {
  broker.armKeepalive(c);
  if (packet.cmd !== 'connect' && !c.session) return broker.closeConnection(c);
  switch (packet.cmd) {
    case 'connect':
      if (c.session) return broker.closeConnection(c); // a second CONNECT is a protocol error
      return handleConnect(broker, c, packet as IConnectPacket);
    case 'publish':
      return handlePublish(broker, c, packet as IPublishPacket);
    case 'puback':
      return handlePuback(broker, c, packet as IPubackPacket);
    case 'subscribe':
      return handleSubscribe(broker, c, packet as ISubscribePacket);
    case 'unsubscribe':
      return handleUnsubscribe(broker, c, packet as IUnsubscribePacket);
    case 'pingreq':
      return handlePing(broker, c);
    case 'disconnect':
      return handleDisconnect(broker, c);
    default:
      return broker.closeConnection(c);
  }
}
