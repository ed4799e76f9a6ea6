// Logged-in dashboard sessions. The browser holds only a random session id (HttpOnly,
// SameSite=Strict cookie) and a second random token it must echo in a header on every action: a
// page on another site can neither send the cookie (SameSite=Strict) nor read the token (no CORS),
// so it cannot act (CSRF). The operator's password stays in this process's memory for the
// session's life only, because every action goes over the control socket with the same
// credentials the CLI sends: the control server authenticates, role-checks and audits it again.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../operators/roles.js';

export const SESSION_DEFAULTS = {
  /** Idle time after which a session ends and the operator must log in again. */
  idleMs: 15 * 60_000,
  /** More than this and the oldest session is dropped (a laptop or two at a substation). */
  maxSessions: 32,
  cookieName: 'mg_session',
} as const;

export interface DashboardSession {
  id: string;
  user: string;
  role: Role;
  /** Sent back by the page in the X-CSRF-Token header of every action. */
  csrf: string;
  password: string;
  lastUsedMs: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, DashboardSession>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly idleMs: number = SESSION_DEFAULTS.idleMs,
  ) {}

  create(user: string, role: Role, password: string): DashboardSession {
    while (this.sessions.size >= SESSION_DEFAULTS.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const session: DashboardSession = { id: token(), user, role, csrf: token(), password, lastUsedMs: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for a Cookie header, or undefined (none, unknown, idle too long). */
  fromCookie(cookieHeader: string | undefined): DashboardSession | undefined {
    const id = cookieValue(cookieHeader, SESSION_DEFAULTS.cookieName);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastUsedMs > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsedMs = this.now();
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  clear(): void {
    this.sessions.clear();
  }
}

/** Constant-time comparison of the header token with the session's. */
export function csrfMatches(session: DashboardSession, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sessionCookie(session: DashboardSession): string {
  return `${SESSION_DEFAULTS.cookieName}=${session.id}; HttpOnly; SameSite=Strict; Path=/`;
}

export function clearedCookie(): string {
  return `${SESSION_DEFAULTS.cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
