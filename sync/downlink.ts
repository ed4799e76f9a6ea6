// Commands from the platform: remote cut-off, evacuation, extreme-weather warning, time sync.
// Topic minegate/<mine>/<substation>/cmd; payload = the command as JSON; MQTT 5 user property
// `signature` = base64 Ed25519 over the exact payload bytes, by the platform's key.
//
// A command runs only if it is signed by the platform key, well formed, of a known kind with a
// registered handler, inside its validity window, and its nonce was never seen (nonces are stored
// in SQLite, so a restart does not reopen a replay). Everything else is rejected, logged as a
// security event and reported upstream (security stream + a 'rejected' command ack). Accepted
// commands are acknowledged upstream twice: 'accepted', then 'completed' or 'failed'.
import { sign, verify, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { CommandLog } from '../edge/control/command-log.js';
import type { Outbox } from './outbox.js';
import { requirePositiveIntegers, withDefaults } from './option-defaults.js';
import { commandAckStream, type CommandAck } from './streams/command-ack.js';
import { securityStream, type SecurityReason } from './streams/security.js';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';
import { commandTopic } from './topics.js';
import { formatTimeZoned } from '../core/mine-time.js';
import type { Uplink } from './uplink.js';

export type CommandKind = 'cutoff' | 'evacuate' | 'weather-warning' | 'time-sync';
export const COMMAND_KINDS: readonly CommandKind[] = ['cutoff', 'evacuate', 'weather-warning', 'time-sync'];

export interface Command {
  /** Platform's id for the command, echoed in acks. */
  id: string;
  kind: CommandKind;
  /** Kind-specific arguments, e.g. { zones: ['heading-3101'] } for cutoff; checked by the handler. */
  args: Record<string, unknown>;
  /** ms epoch */
  issuedAt: number;
  /** ms epoch */
  expiresAt: number;
  /** Unique per command; a second command with the same nonce is a replay. */
  nonce: string;
}

export type CommandHandler = (command: Command) => unknown;

export type CommandOutcome =
  | { status: 'rejected'; reason: SecurityReason; detail: string }
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; error: string };

export interface DownlinkOptions {
  /** The sync database (table sync_nonces). */
  db: Database.Database;
  /** Security events and command acks go upstream through it. */
  outbox: Outbox;
  /** The platform's Ed25519 public key (integrity.loadPublicKey). */
  platformKey: KeyObject;
  mineCode: string;
  substation: string;
  /** Longest accepted validity window (expiresAt − issuedAt). */
  maxLifetimeMs?: number;
  /** How far in the future issuedAt may be (clock difference with the platform). */
  maxClockSkewMs?: number;
  /** Time-sync exists to fix a wrong clock, so its window check tolerates this much error instead. */
  timeSyncSkewMs?: number;
  maxPayloadBytes?: number;
  now?: () => number;
  logger?: SyncLogger;
}

export const DOWNLINK_DEFAULTS = {
  maxLifetimeMs: 3_600_000,
  maxClockSkewMs: 300_000,
  timeSyncSkewMs: 7 * 86_400_000,
  maxPayloadBytes: 16 * 1024,
  nonceMinLength: 16,
  nonceMaxLength: 128,
} as const;

export interface DownlinkStats {
  received: number;
  accepted: number;
  completed: number;
  failed: number;
  rejected: Partial<Record<SecurityReason, number>>;
}

/** Platform side (tests, the demo, a platform tool): the payload bytes and their signature. */
export function signCommand(command: Command, platformPrivateKey: KeyObject): { payload: Buffer; signature: string } {
  const payload = Buffer.from(JSON.stringify(command), 'utf8');
  return { payload, signature: sign(null, payload, platformPrivateKey).toString('base64') };
}

export class Downlink {
  readonly topic: string;
  private readonly handlers = new Map<CommandKind, CommandHandler>();
  private readonly o: Required<Omit<DownlinkOptions, 'db' | 'outbox' | 'platformKey' | 'logger' | 'now'>>;
  private readonly db: Database.Database;
  private readonly outbox: Outbox;
  private readonly key: KeyObject;
  private readonly log: SyncLogger;
  private readonly now: () => number;
  /** Nonces accepted while the database refused writes: replay protection holds until restart. */
  private readonly memoryNonces = new Set<string>();
  private readonly counters: DownlinkStats = { received: 0, accepted: 0, completed: 0, failed: 0, rejected: {} };
  private readonly stmt: { seen: Database.Statement; remember: Database.Statement; prune: Database.Statement };
  private lastPrune = 0;
  private readonly commandLog: CommandLog;

  constructor(options: DownlinkOptions) {
    if (!options || typeof options !== 'object') throw new TypeError(`Downlink: options must be an object, got ${String(options)}`);
    if (!options.db || typeof options.db.prepare !== 'function') throw new TypeError('Downlink: db must be an open better-sqlite3 database');
    if (!options.outbox || typeof options.outbox.append !== 'function') throw new TypeError('Downlink: outbox must be an Outbox');
    if (!options.platformKey || options.platformKey.asymmetricKeyType !== 'ed25519' || options.platformKey.type !== 'public') {
      throw new TypeError('Downlink: platformKey must be the platform Ed25519 public KeyObject (integrity.loadPublicKey)');
    }
    if (typeof options.mineCode !== 'string' || !/^\d{12}$/.test(options.mineCode)) throw new TypeError(`Downlink: mineCode must be 12 digits, got ${JSON.stringify(options.mineCode)}`);
    if (typeof options.substation !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(options.substation)) {
      throw new TypeError(`Downlink: substation must be 1-16 letters/digits, got ${JSON.stringify(options.substation)}`);
    }
    const tunables = ['maxLifetimeMs', 'maxClockSkewMs', 'timeSyncSkewMs', 'maxPayloadBytes'] as const;
    this.o = { mineCode: options.mineCode, substation: options.substation, ...withDefaults(options, DOWNLINK_DEFAULTS, tunables) };
    requirePositiveIntegers('Downlink', this.o, tunables);
    this.db = options.db;
    this.outbox = options.outbox;
    this.key = options.platformKey;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.topic = commandTopic(options.mineCode, options.substation);
    this.commandLog = new CommandLog(this.db);
    this.stmt = {
      seen: this.db.prepare('SELECT 1 FROM sync_nonces WHERE nonce = ?'),
      remember: this.db.prepare('INSERT INTO sync_nonces (nonce, command_id, keep_until) VALUES (?, ?, ?)'),
      prune: this.db.prepare('DELETE FROM sync_nonces WHERE keep_until < ?'),
    };
  }

  /** Registers the runtime's handler for a kind (one per kind). Returns an unregister function. */
  onCommand(kind: CommandKind, handler: CommandHandler): () => void {
    if (!COMMAND_KINDS.includes(kind)) throw new TypeError(`Downlink.onCommand: unknown kind ${JSON.stringify(kind)}; known: ${COMMAND_KINDS.join(', ')}`);
    if (typeof handler !== 'function') throw new TypeError(`Downlink.onCommand: handler for ${kind} must be a function`);
    if (this.handlers.has(kind)) throw new TypeError(`Downlink.onCommand: a handler for ${kind} is already registered`);
    this.handlers.set(kind, handler);
    return () => {
      if (this.handlers.get(kind) === handler) this.handlers.delete(kind);
    };
  }

  /** Receives commands over the uplink's connection. */
  attach(uplink: Uplink): void {
    uplink.subscribe(this.topic, (topic, payload, props) => {
      const sig = props['signature'];
      void this.receive(payload, Array.isArray(sig) ? sig[0] : sig, topic);
    });
  }

  /** Checks and runs one command. Never throws; the outcome is also reported upstream. */
  async receive(payload: Buffer, signature: string | undefined, topic: string = this.topic): Promise<CommandOutcome> {
    this.counters.received++;
    const claimed = peek(payload);
    const reject = (reason: SecurityReason, detail: string): CommandOutcome => {
      this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
      const at = this.now();
      this.log.warn({ reason, detail, topic, commandId: claimed.id, kind: claimed.kind }, 'downlink command rejected (security event)');
      this.outbox.append(securityStream, { at, reason, topic, commandId: claimed.id, kind: claimed.kind, nonce: claimed.nonce, detail });
      try {
        this.commandLog.record({ at, commandId: claimed.id, kind: claimed.kind, reason, detail });
      } catch (err) {
        this.log.error({ err: messageOf(err) }, 'cannot store a rejected command for minegate events; it is still reported upstream');
      }
      this.ack({ at, commandId: claimed.id, kind: claimed.kind, status: 'rejected', reason, result: null });
      return { status: 'rejected', reason, detail };
    };

    if (!Buffer.isBuffer(payload) || payload.length > this.o.maxPayloadBytes) {
      return reject('malformed', `payload larger than ${this.o.maxPayloadBytes} bytes`);
    }
    if (!signature) return reject('unsigned', 'no signature user property');
    let good = false;
    try {
      good = verify(null, payload, this.key, Buffer.from(signature, 'base64'));
    } catch (err) {
      return reject('bad-signature', messageOf(err));
    }
    if (!good) return reject('bad-signature', 'signature does not match the platform key');

    const parsed = parseCommand(payload);
    if (typeof parsed === 'string') return reject('malformed', parsed);
    const cmd = parsed;
    if (!COMMAND_KINDS.includes(cmd.kind)) return reject('unknown-kind', `kind ${JSON.stringify(cmd.kind)} is not one of ${COMMAND_KINDS.join(', ')}`);
    if (cmd.expiresAt - cmd.issuedAt > this.o.maxLifetimeMs) {
      return reject('lifetime-too-long', `valid for ${cmd.expiresAt - cmd.issuedAt} ms, at most ${this.o.maxLifetimeMs} ms accepted`);
    }
    const now = this.now();
    const skew = cmd.kind === 'time-sync' ? this.o.timeSyncSkewMs : this.o.maxClockSkewMs;
    if (now > cmd.expiresAt + (cmd.kind === 'time-sync' ? skew : 0)) return reject('expired', `expired at ${shownTime(cmd.expiresAt)}, now ${shownTime(now)}`);
    if (cmd.issuedAt > now + skew) return reject('not-yet-valid', `issued at ${shownTime(cmd.issuedAt)}, ahead of local time ${shownTime(now)}`);
    if (this.nonceSeen(cmd.nonce)) return reject('replayed', `nonce ${cmd.nonce} was already used`);
    const handler = this.handlers.get(cmd.kind);
    if (!handler) return reject('no-handler', `no handler registered for ${cmd.kind}`);

    // Remember the nonce before acting: a crash during the handler must not allow a replay.
    // Kept until the command could no longer pass the expiry check anyway (plus the skew margin).
    this.rememberNonce(cmd, skew);
    this.counters.accepted++;
    this.log.info({ commandId: cmd.id, kind: cmd.kind }, 'downlink command accepted');
    this.ack({ at: now, commandId: cmd.id, kind: cmd.kind, status: 'accepted', reason: null, result: null });
    try {
      const result = await handler(cmd);
      this.counters.completed++;
      this.ack({ at: this.now(), commandId: cmd.id, kind: cmd.kind, status: 'completed', reason: null, result: result ?? null });
      return { status: 'completed', result };
    } catch (err) {
      this.counters.failed++;
      const error = messageOf(err);
      this.log.error({ commandId: cmd.id, kind: cmd.kind, err: error }, 'downlink command handler failed');
      this.ack({ at: this.now(), commandId: cmd.id, kind: cmd.kind, status: 'failed', reason: error, result: null });
      return { status: 'failed', error };
    }
  }

  stats(): DownlinkStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  private ack(a: CommandAck): void {
    // Results must be JSON: anything else is reported by its string form rather than lost.
    let result = a.result;
    try {
      JSON.stringify(result);
    } catch {
      result = String(result);
    }
    this.outbox.append(commandAckStream, { ...a, result });
  }

  private nonceSeen(nonce: string): boolean {
    if (this.memoryNonces.has(nonce)) return true;
    try {
      return this.stmt.seen.get(nonce) !== undefined;
    } catch (err) {
      this.log.error({ err: messageOf(err) }, 'cannot read command nonces; checking the in-memory list only');
      return false;
    }
  }

  private rememberNonce(cmd: Command, toleranceMs: number): void {
    const keepUntil = cmd.expiresAt + toleranceMs;
    try {
      this.stmt.remember.run(cmd.nonce, cmd.id, keepUntil);
      const now = this.now();
      if (now - this.lastPrune > 3_600_000) {
        this.lastPrune = now;
        this.stmt.prune.run(now);
      }
    } catch (err) {
      this.memoryNonces.add(cmd.nonce);
      this.log.error({ err: messageOf(err) }, 'cannot store a command nonce; replay protection for it lasts until restart');
    }
  }
}

/** The command fields, if readable, for the security log (never trusted). */
function peek(payload: unknown): { id: string | null; kind: string | null; nonce: string | null } {
  try {
    const v = JSON.parse(Buffer.isBuffer(payload) ? payload.toString('utf8') : '') as Record<string, unknown>;
    const s = (x: unknown): string | null => (typeof x === 'string' ? x.slice(0, 128) : null);
    return { id: s(v?.['id']), kind: s(v?.['kind']), nonce: s(v?.['nonce']) };
  } catch {
    return { id: null, kind: null, nonce: null };
  }
}

/** Strict shape check. Returns the command or a description of what is wrong. */
function parseCommand(payload: Buffer): Command | string {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    return `not UTF-8 JSON: ${messageOf(err)}`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  const allowed = new Set(['id', 'kind', 'args', 'issuedAt', 'expiresAt', 'nonce']);
  const extra = Object.keys(o).filter((k) => !allowed.has(k));
  if (extra.length > 0) return `unexpected fields: ${extra.join(', ')}`;
  if (typeof o['id'] !== 'string' || o['id'].length < 1 || o['id'].length > 64) return 'id must be a string of 1-64 characters';
  if (typeof o['kind'] !== 'string') return 'kind must be a string';
  if (o['args'] === null || typeof o['args'] !== 'object' || Array.isArray(o['args'])) return 'args must be an object';
  for (const k of ['issuedAt', 'expiresAt'] as const) {
    if (typeof o[k] !== 'number' || !Number.isSafeInteger(o[k])) return `${k} must be an integer ms epoch`;
  }
  if ((o['expiresAt'] as number) <= (o['issuedAt'] as number)) return 'expiresAt must be after issuedAt';
  const nonce = o['nonce'];
  if (typeof nonce !== 'string' || nonce.length < DOWNLINK_DEFAULTS.nonceMinLength || nonce.length > DOWNLINK_DEFAULTS.nonceMaxLength || !/^[A-Za-z0-9_-]+$/.test(nonce)) {
    return `nonce must be ${DOWNLINK_DEFAULTS.nonceMinLength}-${DOWNLINK_DEFAULTS.nonceMaxLength} characters of [A-Za-z0-9_-]`;
  }
  return o as unknown as Command;
}

/**
 * A time in a refusal reason (events --domain sync, the ack to the platform): mine time with its
 * zone like every other time shown (issue 14); a value no clock can show stays a plain number.
 */
function shownTime(ms: number): string {
  try {
    return formatTimeZoned(ms);
  } catch {
    return `${String(ms)} ms`;
  }
}
