// What a control command handler is and what it gets to work with. Handlers run in the gateway
// process next to the safety loop: they must be quick (engine calls, one SQLite insert) and do
// anything long (a relay pulse, an interlock test) asynchronously, never by blocking.
import type Database from 'better-sqlite3';
import type { GatewayView } from '../gateway-view.js';
import type { Logger } from '../log.js';
import type { AuditEntry, AuditRecord } from '../operators/audit.js';
import type { Operator } from '../operators/operator-store.js';
import type { Role } from '../operators/roles.js';
import type { Reading } from '../../core/readings.js';
import type { SafetyEvent } from '../safety/events.js';

export interface ControlContext {
  readonly gateway: GatewayView;
  readonly dataDir: string;
  /** The authenticated operator; null for a viewer command sent without credentials. */
  readonly operator: Operator | null;
  /** The operator, or ControlError AUTH_REQUIRED. */
  requireOperator(): Operator;
  /**
   * Append an audit record as this request's operator. A safety action without a reason throws
   * AuditError 'reason-required' (check with requireReason before acting).
   */
  audit(entry: Omit<AuditEntry, 'operator' | 'role'>): AuditRecord;
  /** The control server's own connection to the gateway database (audit and control components). */
  readonly db: Database.Database;
  readonly log: Logger;
  /** Safety events as the engine raises them; returns the unsubscribe function. */
  onSafetyEvents(listener: (events: readonly SafetyEvent[]) => void): () => void;
  /** Every batch of readings (polling path: keep it cheap); returns the unsubscribe function. */
  onReadings(listener: (readings: readonly Reading[]) => void): () => void;
  /** Extra sections of `status` (people, seals, sync …) registered with ControlServer.addStatusSection. */
  statusSections(): StatusExtra[];
}

/** One extra block of the status screen: a title, its text, and the same as data for --json. */
export interface StatusExtra {
  title: string;
  body: string;
  data?: unknown;
}

export interface ControlHandler {
  /** Command name on the wire, e.g. "cut", "relay.test". */
  command: string;
  /**
   * Least role allowed. 'viewer' commands also answer requests without credentials: reaching the
   * socket (mode 0660, the gateway's group) is the viewer check, so the status screen works in an
   * emergency without typing a password. Everything else needs --user and a password.
   */
  role: Role;
  handle(args: Record<string, unknown>, ctx: ControlContext): unknown | Promise<unknown>;
  /** Called when the server stops (end sessions, timers). */
  close?(): void;
}
