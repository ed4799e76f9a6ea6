// The embedded broker's state and the moves every packet handler shares: sessions (kept across
// connections when persistent), connections, routing a message to matching subscriptions, QoS 1
// delivery with an in-flight window per session, offline queues, keepalive, closing.
import type { Socket } from 'node:net';
import { generate, type IPublishPacket, type Packet } from 'mqtt-packet';
import { BoundedQueue } from '../../core/bounded-queue.js';
import type { SyncLogger } from '../sync-error.js';
import { topicMatches } from './topic-filter.js';

export interface Message {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  userProperties: Record<string, string | string[]> | undefined;
}

export interface Session {
  clientId: string;
  subscriptions: Map<string, 0 | 1>;
  connection: Connection | null;
  /** Kept after the connection closes (MQTT 3.1.1 clean=false, or MQTT 5 session expiry > 0). */
  persistent: boolean;
  /** Waiting for the client (away, or its in-flight window full); drop-oldest at the broker's cap. */
  queue: BoundedQueue<Message>;
  inFlight: Map<number, Message>;
  nextId: number;
}

export interface Connection {
  socket: Socket;
  version: 4 | 5;
  session: Session | null;
  keepaliveTimer: NodeJS.Timeout | null;
  keepaliveMs: number;
  /** The version is only known from CONNECT; the connection's parser reads later packets with it. */
  setProtocolVersion(v: 4 | 5): void;
}

const MAX_IN_FLIGHT_PER_SESSION = 1000;

export class BrokerCore {
  readonly sessions = new Map<string, Session>();
  readonly connections = new Set<Connection>();
  /** Client ids assigned to clients that sent none. */
  private anonymous = 0;

  constructor(
    /** Messages queued per offline persistent session before the oldest are dropped (RAM bound). */
    readonly maxQueued: number,
    readonly log: SyncLogger,
  ) {}

  send(c: Connection, packet: Packet): void {
    if (!c.socket.destroyed) c.socket.write(generate(packet, { protocolVersion: c.version }));
  }

  nextAnonymousId(): string {
    return `embedded-${++this.anonymous}`;
  }

  /** Sends `m` to the session's client, or queues it (QoS 1, persistent) while it is away or its window is full. */
  deliver(s: Session, m: Message, dup = false, id?: number): void {
    const c = s.connection;
    if (!c) {
      if (m.qos === 1 && s.persistent) {
        this.enqueue(s, m);
      }
      return;
    }
    const packet: IPublishPacket = { cmd: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, dup, retain: false };
    if (c.version === 5 && m.userProperties) packet.properties = { userProperties: m.userProperties };
    if (m.qos === 1) {
      if (id === undefined) {
        if (s.inFlight.size >= MAX_IN_FLIGHT_PER_SESSION) {
          this.enqueue(s, m);
          return;
        }
        id = nextMessageId(s);
        s.inFlight.set(id, m);
      }
      packet.messageId = id;
    }
    this.send(c, packet);
  }

  /** A new session's state, its queue bounded by the broker's cap. */
  newSession(clientId: string, persistent: boolean): Session {
    return { clientId, subscriptions: new Map(), connection: null, persistent, queue: new BoundedQueue<Message>(this.maxQueued), inFlight: new Map(), nextId: 0 };
  }

  /** Queues `m` for the session; when its queue is full the oldest message goes (RAM bound), logged. */
  private enqueue(s: Session, m: Message): void {
    if (s.queue.push(m) !== undefined) this.log.warn({ clientId: s.clientId }, 'embedded broker: session queue full, oldest message dropped');
  }

  /** Sends what queued while the client was away or its window was full, as far as the window allows. */
  flushQueue(s: Session): void {
    while (s.connection && s.queue.size > 0 && s.inFlight.size < MAX_IN_FLIGHT_PER_SESSION) this.deliver(s, s.queue.shift()!);
  }

  /** Delivers `m` to every session with a matching subscription, at the lower of the two QoS. Returns how many. */
  route(m: Message): number {
    let receivers = 0;
    for (const s of this.sessions.values()) {
      let qos = -1;
      for (const [filter, q] of s.subscriptions) if (q > qos && topicMatches(filter, m.topic)) qos = q;
      if (qos < 0) continue;
      receivers++;
      this.deliver(s, { ...m, qos: Math.min(qos, m.qos) as 0 | 1 });
    }
    return receivers;
  }

  /** Closes the socket; the session stays (persistent) or goes. Safe to call more than once. */
  closeConnection(c: Connection): void {
    if (!this.connections.delete(c)) return;
    if (c.keepaliveTimer) clearTimeout(c.keepaliveTimer);
    c.socket.destroy();
    const s = c.session;
    if (s && s.connection === c) {
      s.connection = null;
      if (!s.persistent) this.sessions.delete(s.clientId);
    }
  }

  armKeepalive(c: Connection): void {
    if (c.keepaliveMs <= 0) return;
    if (c.keepaliveTimer) clearTimeout(c.keepaliveTimer);
    // MQTT: a server may close a client silent for 1.5 × its keepalive.
    c.keepaliveTimer = setTimeout(() => this.closeConnection(c), c.keepaliveMs * 1.5);
    c.keepaliveTimer.unref();
  }

  stats(): { connections: number; sessions: number; queued: number } {
    return {
      connections: this.connections.size,
      sessions: this.sessions.size,
      queued: [...this.sessions.values()].reduce((n, s) => n + s.queue.size + s.inFlight.size, 0),
    };
  }
}

function nextMessageId(s: Session): number {
  // Ids 1..65535, skipping ones still awaiting PUBACK.
  for (let i = 0; i < 65535; i++) {
    s.nextId = (s.nextId % 65535) + 1;
    if (!s.inFlight.has(s.nextId)) return s.nextId;
  }
  throw new Error('no free message id');
}
