// The local web dashboard (issue 15) as a capability of the gateway process: an HTTP server on
// 127.0.0.1 by default (config `dashboard:`; the demo turns it on). It holds no copy of the
// gateway's state: every status frame is the control socket's `status` answer — what `minegate
// status` prints — and every action is the control command the CLI would send, with the
// operator's credentials, so the control server role-checks and audits it as for the CLI. The
// safety kernel runs in its own process; nothing here can hold it up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../board-configs/paths.js';
import { DASHBOARD_DEFAULTS } from '../../board-configs/dashboard-schema.js';
import type { Capability, CapabilityContext } from '../capability.js';
import { ControlClient } from '../control/client.js';
import { OperatorStore } from '../operators/operator-store.js';
import { DashboardServer, type StaticFile } from './dashboard-server.js';
import { dashboardMeta, trends } from './trends.js';

export interface DashboardCapabilityOptions {
  host?: string;
  port?: number;
  /** The port is taken: listen on a free one instead of failing (the demo's default port). */
  fallbackToFreePort?: boolean;
  /** Status frames on the stream (default 1 s). */
  streamIntervalMs?: number;
}

/** The page's files, read once at start (a few tens of kB): nothing fetched at run time. */
const PAGE_FILES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
};

export function pageDir(): string {
  return join(packageRoot(), 'edge', 'dashboard', 'page');
}

export class DashboardCapability implements Capability {
  readonly name = 'dashboard';
  private server: DashboardServer | undefined;
  private client: ControlClient | undefined;

  constructor(private readonly opts: DashboardCapabilityOptions = {}) {}

  get url(): string | undefined {
    return this.server?.url;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  async start(ctx: CapabilityContext): Promise<void> {
    const files = new Map<string, StaticFile>(Object.entries(PAGE_FILES).map(([path, type]) => [path, { type, body: readFileSync(join(pageDir(), path.slice(1))) }]));
    // The control socket comes up after the gateway has started: the client connects on first use.
    const client = (this.client = new ControlClient(ctx.dataDir, { timeoutMs: 5_000 }));
    const meta = dashboardMeta(ctx.loaded, ctx.safety.engine.plan);
    this.server = new DashboardServer({
      host: this.opts.host ?? DASHBOARD_DEFAULTS.host,
      port: this.opts.port ?? DASHBOARD_DEFAULTS.port,
      files,
      logger: ctx.logger,
      streamIntervalMs: this.opts.streamIntervalMs,
      fallbackToFreePort: this.opts.fallbackToFreePort,
      backend: {
        status: () => client.request('status'),
        events: (args) => client.request('events', args),
        meta: () => meta,
        history: () => trends(ctx.db, ctx.clock.wall()),
        login: async (user, password) => {
          // A viewer command with credentials: the control server authenticates and audits a refusal.
          await client.request('status', {}, { auth: { user, password } });
          return new OperatorStore(ctx.dataDir).list().find((o) => o.name === user)?.role ?? 'viewer';
        },
        act: (command, args, auth) => client.request(command, args, { auth, timeoutMs: 15_000 }),
      },
    });
    await this.server.start();
    ctx.logger.info({ url: this.server.url }, 'dashboard served');
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    this.client?.close();
    this.client = undefined;
  }

  statusJson(): { url: string | null } {
    return { url: this.url ?? null };
  }
}
