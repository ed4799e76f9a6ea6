// The gateway end of the control channel: a Unix socket at <data-dir>/control.sock (mode 0660)
// through which technician commands act on the live substation — never around it: a second
// process writing the relay module would fight the interlock engine. One socket per data dir is
// also the "one gateway per data dir" lock: a live socket refuses a second gateway, a stale one
// left by a crash is replaced.
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import { AUDIT_DEFAULTS, AuditError, auditMigrations, recordAudit } from '../operators/audit.js';
import { authorize } from '../operators/authorize.js';
import { OperatorError } from '../operators/operator-error.js';
import type { Operator } from '../operators/operator-store.js';
import { isRole } from '../operators/roles.js';
import type { Reading } from '../../core/readings.js';
import { PersonnelCommandError } from '../personnel/errors.js';
import { SafetyCommandError } from '../safety/errors.js';
import type { SafetyEvent } from '../safety/events.js';
import { openDatabase } from '../store/database.js';
import { StoreError } from '../store/store-error.js';
import type { ControlContext, ControlHandler, StatusExtra } from './context.js';
import { ControlError } from './errors.js';
import { defaultControlHandlers } from './handlers.js';
import { controlMigrations } from './interlock-records.js';
import { type ControlFailure, type ControlRequest, type ControlResponse, controlSocketPath, LineSplitter, parseRequest } from './protocol.js';

export interface ControlServerOptions {
  /** The gateway's data directory: socket, operators.json and minegate.db live there. */
  dataDir: string;
  logger: Logger;
  /** Command handlers (default: every technician command, see handlers.ts). */
  handlers?: readonly ControlHandler[];
  /** Socket file mode (default 0660: the gateway's user and group). */
  socketMode?: number;
  /** How long the probe of an existing socket waits before calling it stale. */
  probeTimeoutMs?: number;
}

export const CONTROL_SERVER_DEFAULTS = {
  socketMode: 0o660,
  probeTimeoutMs: 1_000,
} as const;

/**
 * Resolves when no gateway answers on `dataDir`; throws ControlError GATEWAY_RUNNING when one
 * does. Call before starting a gateway, so a second one never touches the relay module.
 */
export async function assertNoGatewayRunning(dataDir: string, probeTimeoutMs: number = CONTROL_SERVER_DEFAULTS.probeTimeoutMs): Promise<void> {
  const path = controlSocketPath(dataDir);
  if (await socketAnswers(path, probeTimeoutMs)) throw gatewayRunning(dataDir, path);
}

export class ControlServer {
  readonly socketPath: string;
  private readonly dataDir: string;
  private readonly log: Logger;
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly socketMode: number;
  private readonly probeTimeoutMs: number;
  private readonly sockets = new Set<net.Socket>();
  private readonly eventListeners = new Set<(events: readonly SafetyEvent[]) => void>();
  private readonly readingListeners = new Set<(readings: readonly Reading[]) => void>();
  private readonly statusSources: { title: string; source: () => StatusExtra }[] = [];
  private server: net.Server | undefined;
  private db: Database.Database | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(
    private readonly gateway: Gateway,
    opts: ControlServerOptions,
  ) {
    if (!gateway || typeof gateway.status !== 'function') throw new TypeError(`ControlServer: gateway must be a Gateway, got ${String(gateway)}`);
    if (!opts || typeof opts.dataDir !== 'string' || opts.dataDir.trim() === '') throw new TypeError(`ControlServer: dataDir must be a directory path, got ${JSON.stringify(opts?.dataDir)}`);
    if (!opts.logger || typeof opts.logger.child !== 'function') throw new TypeError('ControlServer: logger is required');
    this.socketMode = opts.socketMode ?? CONTROL_SERVER_DEFAULTS.socketMode;
    if (!Number.isInteger(this.socketMode) || this.socketMode < 0 || this.socketMode > 0o777) throw new TypeError(`ControlServer: socketMode must be a file mode 0..0o777, got ${String(opts.socketMode)}`);
    this.probeTimeoutMs = opts.probeTimeoutMs ?? CONTROL_SERVER_DEFAULTS.probeTimeoutMs;
    if (!Number.isInteger(this.probeTimeoutMs) || this.probeTimeoutMs < 1) throw new TypeError(`ControlServer: probeTimeoutMs must be a positive integer, got ${String(opts.probeTimeoutMs)}`);
    this.dataDir = resolve(opts.dataDir);
    this.socketPath = controlSocketPath(this.dataDir);
    this.log = opts.logger.child({ module: 'control' });
    for (const h of opts.handlers ?? defaultControlHandlers()) this.register(h);
  }

  /** Add a command (other modules: people, seals, sync …). Names are unique. */
  register(handler: ControlHandler): void {
    if (!handler || typeof handler.command !== 'string' || handler.command === '' || typeof handler.handle !== 'function' || !isRole(handler.role)) {
      throw new TypeError(`ControlServer.register: a handler needs command, role and handle(), got ${JSON.stringify(handler?.command)}`);
    }
    if (this.handlers.has(handler.command)) throw new TypeError(`ControlServer.register: command "${handler.command}" is registered twice`);
    this.handlers.set(handler.command, handler);
  }

  /**
   * Add a block to `minegate status` (people underground, seals, upstream sync …). The source runs
   * on every status request: keep it a quick read of in-memory state. A failing source shows its
   * error in its block instead of failing the status.
   */
  addStatusSection(title: string, source: () => StatusExtra): void {
    if (typeof title !== 'string' || title === '' || typeof source !== 'function') throw new TypeError(`ControlServer.addStatusSection: needs a title and a function, got ${JSON.stringify(title)}`);
    this.statusSources.push({ title, source });
  }

  /** Claim the socket (refusing if another gateway answers on it) and start answering. The gateway must be started. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`ControlServer.start: already ${this.state}`);
    // Fails at once if the gateway is not started: handlers need the safety loop.
    const safety = this.gateway.safety;
    mkdirSync(this.dataDir, { recursive: true });
    this.db = openDatabase(join(this.dataDir, AUDIT_DEFAULTS.fileName), { audit: auditMigrations, control: controlMigrations });
    try {
      this.server = await this.listen();
    } catch (err) {
      this.db.close();
      this.db = undefined;
      throw err;
    }
    this.state = 'running';
    // One subscription each for the server's life: the gateway has no unsubscribe.
    safety.onEvents((events) => {
      if (this.state === 'running') for (const l of [...this.eventListeners]) l(events);
    });
    this.gateway.onReadings((readings) => {
      if (this.state === 'running' && this.readingListeners.size > 0) for (const l of [...this.readingListeners]) l(readings);
    });
    this.log.info({ socket: this.socketPath, commands: [...this.handlers.keys()] }, 'control socket listening');
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    for (const h of this.handlers.values()) {
      try {
        h.close?.();
      } catch (err) {
        this.log.error({ command: h.command, err: (err as Error).message }, 'control handler failed to close');
      }
    }
    const closed = new Promise<void>((done) => this.server!.close(() => done()));
    for (const s of this.sockets) s.destroy();
    await closed;
    // net removes the socket file on close; make sure, without touching anything that is not a socket.
    removeSocketFile(this.socketPath);
    this.db?.close();
    this.eventListeners.clear();
    this.readingListeners.clear();
    this.log.info('control socket closed');
  }

  private async listen(): Promise<net.Server> {
    try {
      return await this.bind();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw bindFailed(this.socketPath, err);
    }
    if (await socketAnswers(this.socketPath, this.probeTimeoutMs)) throw gatewayRunning(this.dataDir, this.socketPath);
    const st = lstatSync(this.socketPath, { throwIfNoEntry: false });
    if (st && !st.isSocket()) {
      throw new ControlError('GATEWAY_RUNNING', `${this.socketPath} exists and is not a socket; it was left untouched: move it away and start again`);
    }
    // Left by a gateway that crashed: nobody answers on it.
    this.log.warn({ socket: this.socketPath }, 'replacing a stale control socket (a previous gateway did not stop cleanly)');
    removeSocketFile(this.socketPath);
    try {
      return await this.bind();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw gatewayRunning(this.dataDir, this.socketPath);
      throw bindFailed(this.socketPath, err);
    }
  }

  private bind(): Promise<net.Server> {
    return new Promise((resolveBound, reject) => {
      const server = net.createServer((socket) => this.onConnection(socket));
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err: err.message }, 'control socket error'));
        try {
          chmodSync(this.socketPath, this.socketMode);
        } catch (err) {
          server.close();
          reject(err);
          return;
        }
        resolveBound(server);
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    // Answers go out in request order: each request waits for the one before it on this connection.
    let chain = Promise.resolve();
    const splitter = new LineSplitter(
      (line) => {
        chain = chain.then(() => this.answer(socket, line));
      },
      () => {
        this.send(socket, { id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'request line too long' } });
        socket.end();
      },
    );
    socket.on('data', (chunk) => splitter.push(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async answer(socket: net.Socket, line: string): Promise<void> {
    let id: ControlRequest['id'] | null = null;
    try {
      const request = parseRequest(line);
      id = request.id;
      const result = await this.dispatch(request);
      this.send(socket, { id, ok: true, result: result ?? null });
    } catch (err) {
      this.send(socket, { id, ok: false, error: this.failure(err) });
    }
  }

  private async dispatch(request: ControlRequest): Promise<unknown> {
    if (this.state !== 'running') throw new ControlError('NO_GATEWAY', 'the gateway is stopping');
    const handler = this.handlers.get(request.command);
    if (!handler) throw new ControlError('UNKNOWN_COMMAND', `unknown command "${request.command}" (known: ${[...this.handlers.keys()].sort().join(', ')})`);
    let operator: Operator | null = null;
    if (request.auth) operator = await this.authenticate(request, handler);
    else if (handler.role !== 'viewer') {
      throw new ControlError('AUTH_REQUIRED', `${request.command} needs a ${handler.role}: give --user <name> (password from MINEGATE_PASSWORD or a prompt)`);
    }
    return handler.handle(request.args, this.context(operator));
  }

  private async authenticate(request: ControlRequest, handler: ControlHandler): Promise<Operator> {
    const { user, password } = request.auth!;
    try {
      return await authorize(this.dataDir, user, password, handler.role);
    } catch (err) {
      if (err instanceof OperatorError && (err.code === 'bad-credentials' || err.code === 'insufficient-role') && user) {
        // A string of wrong passwords against the relay module must show up in the log.
        try {
          recordAudit(this.db!, { operator: user, role: null, action: 'auth-refused', target: describeRequest(request), outcome: 'refused', detail: err.message });
        } catch (auditErr) {
          this.log.error({ err: (auditErr as Error).message }, 'could not record a refused login');
        }
      }
      throw err;
    }
  }

  private context(operator: Operator | null): ControlContext {
    const db = this.db!;
    const requireOperator = (): Operator => {
      if (!operator) throw new ControlError('AUTH_REQUIRED', 'this needs an operator: give --user <name>');
      return operator;
    };
    return {
      gateway: this.gateway,
      dataDir: this.dataDir,
      operator,
      requireOperator,
      audit: (entry) => {
        const op = requireOperator();
        return recordAudit(db, { ...entry, operator: op.name, role: op.role });
      },
      db,
      log: this.log,
      onSafetyEvents: (listener) => {
        this.eventListeners.add(listener);
        return () => this.eventListeners.delete(listener);
      },
      onReadings: (listener) => {
        this.readingListeners.add(listener);
        return () => this.readingListeners.delete(listener);
      },
      statusSections: () =>
        this.statusSources.map(({ title, source }) => {
          try {
            return source();
          } catch (err) {
            return { title, body: `  unavailable: ${(err as Error).message}` };
          }
        }),
    };
  }

  private failure(err: unknown): ControlFailure {
    if (err instanceof ControlError || err instanceof SafetyCommandError || err instanceof PersonnelCommandError || err instanceof OperatorError || err instanceof AuditError || err instanceof StoreError) {
      return { code: err.code, message: err.message };
    }
    if (err instanceof TypeError || err instanceof RangeError) return { code: 'BAD_REQUEST', message: err.message };
    this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'control command failed unexpectedly');
    return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  }

  private send(socket: net.Socket, response: ControlResponse): void {
    if (socket.destroyed) return;
    // Infinity (a point never read) has no JSON form: it goes out as null.
    socket.write(`${JSON.stringify(response, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  }
}

function describeRequest(request: ControlRequest): string {
  const target = ['zone', 'id', 'fan', 'output', 'point', 'area', 'shaftMouth'].map((k) => request.args[k]).find((v) => typeof v === 'string');
  return `${request.command}${typeof target === 'string' ? ` ${target}` : ''}`;
}

function gatewayRunning(dataDir: string, path: string): ControlError {
  return new ControlError('GATEWAY_RUNNING', `a gateway is already running on ${dataDir} (its control socket ${path} answers): stop it first, or use another --data-dir`);
}

function bindFailed(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new ControlError('INTERNAL', `cannot create the control socket ${path}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '));
}

function removeSocketFile(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** True when something accepts a connection on the socket within the timeout. */
function socketAnswers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.createConnection(path);
    const finish = (answers: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      done(answers);
    };
    // A hung gateway that still accepts is a running gateway: accept alone decides.
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
