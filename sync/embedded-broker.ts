// An in-process MQTT broker on loopback for `npm start`: the demo runs the gateway, the reference
// receiver and the platform's commands against it without installing anything.
//
// Why not aedes: aedes 1.2.0 refuses MQTT 5 CONNECTs ("MQTT 5.0 not supported yet" in its README;
// lib/handlers/connect.js accepts protocol versions 3-4 only), and minegate's batches need MQTT 5
// user properties. So this is a deliberately small broker on mqtt-packet (the codec mqtt.js itself
// uses): MQTT 3.1.1 and 5, QoS 0 and 1, wildcard subscriptions, persistent sessions with queued
// QoS 1 messages for offline subscribers, session takeover, keepalive. Not supported: QoS 2,
// retained messages, wills, authentication, TLS. Sessions live in RAM: demo and development only;
// production talks to the platform's broker.
//
// Layout (as aedes lib/handlers, MQTT.js src/lib/handlers): this file listens and feeds each
// socket's parser; embedded-broker/handlers/ has one handler per packet type, and
// embedded-broker/broker-core.ts the sessions and delivery they share.
import { createServer, type Server } from 'node:net';
import { parser as createParser, type Packet } from 'mqtt-packet';
import { BrokerCore, type Connection } from './embedded-broker/broker-core.js';
import { handlePacket } from './embedded-broker/handlers/index.js';
import { SyncError, messageOf, silentLogger, type SyncLogger } from './sync-error.js';

export { topicMatches } from './embedded-broker/topic-filter.js';

export interface EmbeddedBroker {
  host: string;
  port: number;
  /** mqtt://host:port */
  url: string;
  /** Connected clients and known sessions, for the demo's status line. */
  stats(): { connections: number; sessions: number; queued: number };
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** Default 127.0.0.1: the demo broker is never exposed beyond the machine. */
  host?: string;
  /** Default 0: any free port (read it back from the result). */
  port?: number;
  /** Messages queued per offline persistent session before the oldest are dropped (RAM bound). */
  maxQueuedPerSession?: number;
  logger?: SyncLogger;
}

export const EMBEDDED_BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxQueuedPerSession: 1_000_000,
} as const;

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? EMBEDDED_BROKER_DEFAULTS.host;
  const port = opts.port ?? EMBEDDED_BROKER_DEFAULTS.port;
  const maxQueued = opts.maxQueuedPerSession ?? EMBEDDED_BROKER_DEFAULTS.maxQueuedPerSession;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`startEmbeddedBroker: port must be 0-65535, got ${String(opts.port)}`);
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) throw new TypeError(`startEmbeddedBroker: maxQueuedPerSession must be a positive integer, got ${String(opts.maxQueuedPerSession)}`);
  const broker = new BrokerCore(maxQueued, opts.logger ?? silentLogger);
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const parser = createParser({ protocolVersion: 4 });
    const c: Connection = {
      socket,
      version: 4,
      session: null,
      keepaliveTimer: null,
      keepaliveMs: 0,
      setProtocolVersion: (v) => {
        (parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = v;
      },
    };
    broker.connections.add(c);
    parser.on('packet', (packet: Packet) => {
      try {
        handlePacket(broker, c, packet);
      } catch (err) {
        broker.log.warn({ err: messageOf(err) }, 'embedded broker: dropping a client after an error');
        broker.closeConnection(c);
      }
    });
    parser.on('error', () => broker.closeConnection(c));
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('error', () => broker.closeConnection(c));
    socket.on('close', () => broker.closeConnection(c));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new SyncError('broker-failed', `embedded broker cannot listen on ${host}:${port}: ${messageOf(err)}`, { cause: err });
  }
  const actual = (server.address() as { port: number }).port;
  return {
    host,
    port: actual,
    url: `mqtt://${host}:${actual}`,
    stats: () => broker.stats(),
    close: async () => {
      for (const c of [...broker.connections]) broker.closeConnection(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
