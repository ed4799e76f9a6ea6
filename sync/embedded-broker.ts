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
import { createServer, type Server, type Socket } from 'node:net';
import { generate, parser as createParser, type IConnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet } from 'mqtt-packet';
import { SyncError, messageOf, silentLogger, type SyncLogger } from './sync-error.js';

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

interface Message {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  userProperties: Record<string, string | string[]> | undefined;
}

interface Session {
  clientId: string;
  subscriptions: Map<string, 0 | 1>;
  connection: Connection | null;
  /** Kept after the connection closes (MQTT 3.1.1 clean=false, or MQTT 5 session expiry > 0). */
  persistent: boolean;
  queue: Message[];
  inFlight: Map<number, Message>;
  nextId: number;
}

interface Connection {
  socket: Socket;
  version: 4 | 5;
  session: Session | null;
  keepaliveTimer: NodeJS.Timeout | null;
  keepaliveMs: number;
}

const MAX_IN_FLIGHT_PER_SESSION = 1000;

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? EMBEDDED_BROKER_DEFAULTS.host;
  const port = opts.port ?? EMBEDDED_BROKER_DEFAULTS.port;
  const maxQueued = opts.maxQueuedPerSession ?? EMBEDDED_BROKER_DEFAULTS.maxQueuedPerSession;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`startEmbeddedBroker: port must be 0-65535, got ${String(opts.port)}`);
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) throw new TypeError(`startEmbeddedBroker: maxQueuedPerSession must be a positive integer, got ${String(opts.maxQueuedPerSession)}`);
  const log = opts.logger ?? silentLogger;
  const sessions = new Map<string, Session>();
  const connections = new Set<Connection>();
  let anonymous = 0;

  const send = (c: Connection, packet: Packet): void => {
    if (!c.socket.destroyed) c.socket.write(generate(packet, { protocolVersion: c.version }));
  };

  const deliver = (s: Session, m: Message, dup = false, id?: number): void => {
    const c = s.connection;
    if (!c) {
      if (m.qos === 1 && s.persistent) {
        s.queue.push(m);
        if (s.queue.length > maxQueued) {
          s.queue.shift();
          log.warn({ clientId: s.clientId }, 'embedded broker: offline queue full, oldest message dropped');
        }
      }
      return;
    }
    const packet: IPublishPacket = { cmd: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, dup, retain: false };
    if (c.version === 5 && m.userProperties) packet.properties = { userProperties: m.userProperties };
    if (m.qos === 1) {
      if (id === undefined) {
        if (s.inFlight.size >= MAX_IN_FLIGHT_PER_SESSION) {
          s.queue.push(m);
          return;
        }
        id = nextMessageId(s);
        s.inFlight.set(id, m);
      }
      packet.messageId = id;
    }
    send(c, packet);
  };

  const flushQueue = (s: Session): void => {
    while (s.connection && s.queue.length > 0 && s.inFlight.size < MAX_IN_FLIGHT_PER_SESSION) deliver(s, s.queue.shift()!);
  };

  const route = (m: Message): number => {
    let receivers = 0;
    for (const s of sessions.values()) {
      let qos = -1;
      for (const [filter, q] of s.subscriptions) if (q > qos && topicMatches(filter, m.topic)) qos = q;
      if (qos < 0) continue;
      receivers++;
      deliver(s, { ...m, qos: Math.min(qos, m.qos) as 0 | 1 });
    }
    return receivers;
  };

  const closeConnection = (c: Connection): void => {
    if (!connections.delete(c)) return;
    if (c.keepaliveTimer) clearTimeout(c.keepaliveTimer);
    c.socket.destroy();
    const s = c.session;
    if (s && s.connection === c) {
      s.connection = null;
      if (!s.persistent) sessions.delete(s.clientId);
    }
  };

  const armKeepalive = (c: Connection): void => {
    if (c.keepaliveMs <= 0) return;
    if (c.keepaliveTimer) clearTimeout(c.keepaliveTimer);
    // MQTT: a server may close a client silent for 1.5 × its keepalive.
    c.keepaliveTimer = setTimeout(() => closeConnection(c), c.keepaliveMs * 1.5);
    c.keepaliveTimer.unref();
  };

  const onConnect = (c: Connection, p: IConnectPacket, setVersion: (v: 4 | 5) => void): void => {
    const version = p.protocolVersion;
    if (version !== 4 && version !== 5) {
      c.version = 4;
      send(c, { cmd: 'connack', returnCode: 1, sessionPresent: false });
      closeConnection(c);
      return;
    }
    c.version = version;
    setVersion(version);
    const persistent = version === 5 ? (p.properties?.sessionExpiryInterval ?? 0) > 0 : p.clean === false;
    let clientId = p.clientId;
    let assigned: string | undefined;
    if (!clientId) {
      if (version === 4 && persistent) {
        send(c, { cmd: 'connack', returnCode: 2, sessionPresent: false });
        closeConnection(c);
        return;
      }
      clientId = assigned = `embedded-${++anonymous}`;
    }
    let s = sessions.get(clientId);
    if (s?.connection) {
      const old = s.connection;
      if (old.version === 5) send(old, { cmd: 'disconnect', reasonCode: 0x8e }); // session taken over
      closeConnection(old);
    }
    const startClean = p.clean !== false;
    if (s && startClean) {
      sessions.delete(clientId);
      s = undefined;
    }
    const sessionPresent = s !== undefined;
    if (!s) {
      s = { clientId, subscriptions: new Map(), connection: null, persistent, queue: [], inFlight: new Map(), nextId: 0 };
      sessions.set(clientId, s);
    }
    s.persistent = persistent;
    s.connection = c;
    c.session = s;
    c.keepaliveMs = (p.keepalive ?? 0) * 1000;
    armKeepalive(c);
    if (version === 5) {
      send(c, {
        cmd: 'connack',
        reasonCode: 0,
        sessionPresent,
        properties: { maximumQoS: 1, retainAvailable: false, ...(assigned ? { assignedClientIdentifier: assigned } : {}) },
      });
    } else {
      send(c, { cmd: 'connack', returnCode: 0, sessionPresent });
    }
    // Resume: unacknowledged deliveries again (DUP), in order, then what queued while away.
    for (const [id, m] of [...s.inFlight].sort((a, b) => a[0] - b[0])) deliver(s, m, true, id);
    flushQueue(s);
  };

  const onPacket = (c: Connection, packet: Packet, setVersion: (v: 4 | 5) => void): void => {
    armKeepalive(c);
    if (packet.cmd !== 'connect' && !c.session) return closeConnection(c);
    switch (packet.cmd) {
      case 'connect':
        if (c.session) return closeConnection(c); // a second CONNECT is a protocol error
        return onConnect(c, packet, setVersion);
      case 'publish': {
        const p = packet as IPublishPacket;
        if (p.qos === 2) return closeConnection(c); // not offered (CONNACK maximumQoS 1)
        const receivers = route({ topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, userProperties: p.properties?.userProperties });
        if (p.qos === 1) {
          send(c, c.version === 5 ? { cmd: 'puback', messageId: p.messageId!, reasonCode: receivers > 0 ? 0 : 0x10 } : { cmd: 'puback', messageId: p.messageId! });
        }
        return;
      }
      case 'puback': {
        const s = c.session!;
        if (packet.messageId !== undefined) s.inFlight.delete(packet.messageId);
        return flushQueue(s);
      }
      case 'subscribe': {
        const p = packet as ISubscribePacket;
        const granted = p.subscriptions.map((sub) => {
          if (!validFilter(sub.topic)) return c.version === 5 ? 0x8f : 0x80;
          const qos = Math.min(sub.qos, 1) as 0 | 1;
          c.session!.subscriptions.set(sub.topic, qos);
          return qos;
        });
        return send(c, { cmd: 'suback', messageId: p.messageId, granted });
      }
      case 'unsubscribe': {
        const p = packet as IUnsubscribePacket;
        for (const t of p.unsubscriptions) c.session!.subscriptions.delete(t);
        // MQTT 5 carries one reason code per filter; 3.1.1 writes none (the codec ignores `granted` there).
        return send(c, { cmd: 'unsuback', messageId: p.messageId, granted: p.unsubscriptions.map(() => 0) });
      }
      case 'pingreq':
        return send(c, { cmd: 'pingresp' });
      case 'disconnect':
        return closeConnection(c);
      default:
        return closeConnection(c); // QoS 2 flows, AUTH: not offered
    }
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const c: Connection = { socket, version: 4, session: null, keepaliveTimer: null, keepaliveMs: 0 };
    connections.add(c);
    const parser = createParser({ protocolVersion: 4 });
    // The version is only known from CONNECT; later packets are parsed with it.
    const setVersion = (v: 4 | 5): void => {
      (parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = v;
    };
    parser.on('packet', (packet: Packet) => {
      try {
        onPacket(c, packet, setVersion);
      } catch (err) {
        log.warn({ err: messageOf(err) }, 'embedded broker: dropping a client after an error');
        closeConnection(c);
      }
    });
    parser.on('error', () => closeConnection(c));
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('error', () => closeConnection(c));
    socket.on('close', () => closeConnection(c));
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
    stats: () => ({
      connections: connections.size,
      sessions: sessions.size,
      queued: [...sessions.values()].reduce((n, s) => n + s.queue.length + s.inFlight.size, 0),
    }),
    close: async () => {
      for (const c of [...connections]) closeConnection(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function nextMessageId(s: Session): number {
  // Ids 1..65535, skipping ones still awaiting PUBACK.
  for (let i = 0; i < 65535; i++) {
    s.nextId = (s.nextId % 65535) + 1;
    if (!s.inFlight.has(s.nextId)) return s.nextId;
  }
  throw new Error('no free message id');
}

function validFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l === '#' ? i === levels.length - 1 : l === '+' || (!l.includes('+') && !l.includes('#'))));
}

/** MQTT topic filter matching: `+` one level, `#` the rest; wildcards never match `$` topics at the first level. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
