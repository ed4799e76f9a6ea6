// The dashboard's HTTP side (node:http: a dozen fixed routes, no need for a framework): the page,
// its JSON reads, a Server-Sent Events stream of the control status, and login/logout/action.
// Reads need no login (the CLI's viewer commands do not either); actions need a session, its
// CSRF token in a header, a same-origin JSON request and a reason. The backend (the capability)
// answers everything through the control socket, so no state lives here but the sessions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Role } from '../operators/roles.js';
import { ActionRefused, controlRequestOf, httpStatusOf } from './actions.js';
import { clearedCookie, csrfMatches, type DashboardSession, SessionStore, sessionCookie } from './sessions.js';

export const DASHBOARD_SERVER_DEFAULTS = {
  /** One status frame per second on the stream. */
  streamIntervalMs: 1_000,
  maxBodyBytes: 16 * 1024,
} as const;

/** What the server asks of the gateway; every call may fail with an Error carrying `code`. */
export interface DashboardBackend {
  status(): Promise<unknown>;
  events(args: Record<string, unknown>): Promise<unknown>;
  meta(): unknown;
  history(): unknown;
  /** Check the credentials over the control path (a refusal is audited there); the operator's role. */
  login(user: string, password: string): Promise<Role>;
  /** One control command as this operator. */
  act(command: string, args: Record<string, unknown>, auth: { user: string; password: string }): Promise<unknown>;
}

export interface StaticFile {
  type: string;
  body: Buffer;
}

export interface DashboardServerOptions {
  host: string;
  port: number;
  files: ReadonlyMap<string, StaticFile>;
  backend: DashboardBackend;
  logger: Logger;
  streamIntervalMs?: number;
  /** On EADDRINUSE listen on a free port instead (logged); otherwise the error is thrown. */
  fallbackToFreePort?: boolean;
}

export class DashboardServer {
  private readonly sessions = new SessionStore();
  private readonly streams = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private server: http.Server | undefined;
  private readonly intervalMs: number;

  constructor(private readonly opts: DashboardServerOptions) {
    this.intervalMs = opts.streamIntervalMs ?? DASHBOARD_SERVER_DEFAULTS.streamIntervalMs;
  }

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  get url(): string | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host}:${port}/`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.route(req, res).catch((err: Error) => {
        this.opts.logger.error({ err: err.message, url: req.url }, 'dashboard request failed');
        if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: err.message } });
        else res.end();
      });
    });
    try {
      await listen(server, this.opts.port, this.opts.host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.opts.fallbackToFreePort) throw err;
      this.opts.logger.warn({ port: this.opts.port }, 'dashboard port taken: serving on a free port instead');
      await listen(server, 0, this.opts.host);
    }
    this.server = server;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.sessions.clear();
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const file = this.opts.files.get(path === '/' ? '/index.html' : path);
      if (file) return sendFile(res, file);
      if (path === '/api/stream') return this.openStream(req, res);
      if (path === '/api/status') return json(res, 200, await this.opts.backend.status());
      if (path === '/api/meta') return json(res, 200, this.opts.backend.meta());
      if (path === '/api/history') return json(res, 200, this.opts.backend.history());
      if (path === '/api/events') return json(res, 200, await this.opts.backend.events(eventArgs(url.searchParams)));
      if (path === '/api/session') {
        const s = this.sessions.fromCookie(req.headers.cookie);
        return s ? json(res, 200, sessionView(s)) : json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'not logged in: the dashboard is read-only' } });
      }
      return json(res, 404, { error: { code: 'NOT_FOUND', message: `no ${path} here` } });
    }
    if (req.method !== 'POST') return json(res, 405, { error: { code: 'METHOD', message: `${req.method} is not used here` } });
    const session = this.sessions.fromCookie(req.headers.cookie);
    // First: no session, no action (a cross-site form arrives here without the SameSite=Strict cookie).
    if (path === '/api/action' && !session) return json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'log in with an operator account first: the dashboard is read-only without one' } });
    // A form on another site cannot send application/json without a preflight this server never grants.
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: { code: 'BAD_REQUEST', message: 'send application/json' } });
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return json(res, 403, { error: { code: 'CROSS_ORIGIN', message: `requests from ${origin} are refused` } });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return json(res, 413, { error: { code: 'BAD_REQUEST', message: (err as Error).message } });
    }
    if (path === '/api/login') return this.login(res, body);
    if (path === '/api/logout') {
      if (session && csrfMatches(session, req.headers['x-csrf-token'])) this.sessions.end(session.id);
      res.setHeader('Set-Cookie', clearedCookie());
      return json(res, 200, { loggedOut: true });
    }
    if (path !== '/api/action') return json(res, 404, { error: { code: 'NOT_FOUND', message: `no ${path} here` } });
    if (!session) return json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'the session ended: log in again' } });
    if (!csrfMatches(session, req.headers['x-csrf-token'])) return json(res, 403, { error: { code: 'CSRF', message: 'missing or wrong X-CSRF-Token: reload the page' } });
    try {
      const { command, args } = controlRequestOf(body);
      const result = await this.opts.backend.act(command, args, { user: session.user, password: session.password });
      return json(res, 200, { ok: true, command, result });
    } catch (err) {
      if (err instanceof ActionRefused) return json(res, err.status, { error: { code: err.code, message: err.message } });
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string') return json(res, httpStatusOf(code), { error: { code, message: (err as Error).message } });
      throw err;
    }
  }

  private async login(res: http.ServerResponse, body: unknown): Promise<void> {
    const { user, password } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof user !== 'string' || user === '' || typeof password !== 'string') return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'give user and password' } });
    try {
      const role = await this.opts.backend.login(user, password);
      const session = this.sessions.create(user, role, password);
      res.setHeader('Set-Cookie', sessionCookie(session));
      return json(res, 200, sessionView(session));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string') return json(res, httpStatusOf(code), { error: { code, message: (err as Error).message } });
      throw err;
    }
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`retry: 1000\n\n`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
    // The first frame at once: the page renders without waiting for the next tick.
    void this.frame().then((data) => {
      if (!res.writableEnded) res.write(data);
    });
  }

  private async tick(): Promise<void> {
    if (this.streams.size === 0 || this.ticking) return;
    this.ticking = true;
    try {
      const data = await this.frame();
      for (const s of this.streams) s.write(data);
    } finally {
      this.ticking = false;
    }
  }

  /** One SSE frame: the control status, or why there is none (the page shows its stale banner). */
  private async frame(): Promise<string> {
    try {
      return `event: status\ndata: ${stringify(await this.opts.backend.status())}\n\n`;
    } catch (err) {
      return `event: down\ndata: ${JSON.stringify({ code: (err as { code?: string }).code ?? 'INTERNAL', message: (err as Error).message })}\n\n`;
    }
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function sessionView(s: DashboardSession): { user: string; role: Role; csrf: string } {
  return { user: s.user, role: s.role, csrf: s.csrf };
}

function eventArgs(q: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = { limit: Math.min(500, Math.max(1, Number(q.get('limit') ?? 200) || 200)) };
  for (const k of ['kind', 'point', 'domain']) {
    const v = q.get(k);
    if (v) args[k] = v;
  }
  return args;
}

const SECURITY_HEADERS = {
  // Everything from this server, nothing inline, never in a frame (clickjacking an action button).
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

function sendFile(res: http.ServerResponse, file: StaticFile): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' });
  res.end(file.body);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(stringify(value));
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Infinity (a point never read) has no JSON form: null, as on the control socket. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DASHBOARD_SERVER_DEFAULTS.maxBodyBytes) {
        reject(Object.assign(new Error('request body too large'), { code: 'BAD_REQUEST' }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', reject);
  });
}
