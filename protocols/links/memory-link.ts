// An in-memory Link and the far end it talks to, for unit tests of framing and the master (the way
// node-serialport's binding-mock stands in for a port). It is a real Link: the master runs its own
// code on it, bytes arrive asynchronously in the chunks the far end wrote, and the far end can drop
// the connection or refuse opens. PTYs and sockets stay the integration layer.
import { EventEmitter } from 'node:events';
import { LinkError, type Link } from './link.js';

/**
 * One open() of a MemoryLink, seen from the far end (like a socket a server accepted).
 * Events: 'data' (bytes the link wrote, one chunk per write), 'close' (the session ended, either side).
 */
export class MemoryConnection extends EventEmitter {
  private open = true;

  constructor(private readonly deliver: (bytes: Buffer) => void, private readonly end: (err?: Error) => void) {
    super();
  }

  get alive(): boolean {
    return this.open;
  }

  /** Sends bytes to the link; they arrive as one 'data' chunk on a later turn of the event loop. */
  write(bytes: Uint8Array): void {
    if (this.open) this.deliver(Buffer.from(bytes));
  }

  /** The far end goes away (cable pulled, TCP reset): the link closes with `err`. */
  drop(err?: Error): void {
    if (this.open) this.end(err);
  }

  /** @internal the session ended */
  closed(): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close');
  }
}

/**
 * The far end of a MemoryLink. Events: 'connection' (MemoryConnection, on every successful open).
 */
export class MemoryPeer extends EventEmitter {
  /** Opens still to refuse (as ECONNREFUSED / ENOENT would). */
  refuseOpens = 0;
  /** Successful opens so far. */
  opens = 0;
  current: MemoryConnection | null = null;
}

export class MemoryLink extends EventEmitter implements Link {
  readonly description: string;
  readonly peer = new MemoryPeer();
  private connection: MemoryConnection | null = null;

  constructor(name = 'memory') {
    super();
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`MemoryLink name must be a non-empty string, got ${String(name)}`);
    this.description = `memory ${name}`;
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  open(): Promise<void> {
    if (this.connection) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // Asynchronous like every real open, so callers cannot rely on it completing in the same turn.
      setImmediate(() => {
        if (this.connection) return resolve();
        if (this.peer.refuseOpens > 0) {
          this.peer.refuseOpens--;
          reject(new LinkError('open-failed', this.description, 'refused by the far end'));
          return;
        }
        const conn: MemoryConnection = new MemoryConnection(
          (bytes) => setImmediate(() => {
            if (this.connection === conn) this.emit('data', bytes);
          }),
          (err) => this.end(conn, err),
        );
        this.connection = conn;
        this.peer.opens++;
        this.peer.current = conn;
        resolve();
        this.peer.emit('connection', conn);
      });
    });
  }

  close(): Promise<void> {
    const conn = this.connection;
    if (conn) this.end(conn, undefined);
    return Promise.resolve();
  }

  write(bytes: Buffer): Promise<void> {
    const conn = this.connection;
    if (!conn) return Promise.reject(new LinkError('not-open', this.description, 'write while the link is closed'));
    const copy = Buffer.from(bytes);
    setImmediate(() => {
      if (conn.alive) conn.emit('data', copy);
    });
    return Promise.resolve();
  }

  private end(conn: MemoryConnection, err: Error | undefined): void {
    if (this.connection !== conn) return;
    this.connection = null;
    if (this.peer.current === conn) this.peer.current = null;
    conn.closed();
    this.emit('close', err);
  }
}
