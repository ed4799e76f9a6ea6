// The uplink's options: what a caller may set (broker, identity, TLS files, windows, bandwidth
// cap, receipts, reconnect pacing), the defaults in one reviewable object, and the validation
// that merges them once (a bad value throws TypeError naming it, at construction).
import type { KeyObject } from 'node:crypto';
import type { Outbox } from './outbox.js';
import type { SyncLogger } from './sync-error.js';

export interface TlsFiles {
  /** CA bundle that signed the broker's certificate (PEM). */
  caPath?: string;
  /** This substation's client certificate and key (PEM), for brokers that require mutual TLS. */
  certPath?: string;
  keyPath?: string;
  /** Default true; false only for lab setups. */
  rejectUnauthorized?: boolean;
}

export interface UplinkOptions {
  outbox: Outbox;
  /** mqtt://host:port or mqtts://host:port */
  brokerUrl: string;
  mineCode: string;
  substation: string;
  /** Default minegate-<mine>-<substation>; stable, so the broker keeps our command subscription while we are away. */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: TlsFiles;
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  /** A PUBACK slower than this means the link is dead (half-open): reconnect. */
  ackTimeoutMs?: number;
  maxInFlight?: number;
  maxInFlightBytes?: number;
  /** Bandwidth cap in payload bytes per second; null = unlimited. */
  bytesPerSecond?: number | null;
  /** Bucket size of the bandwidth cap; default one second of `bytesPerSecond` (a burst never exceeds the rate for more than 1 s). */
  burstBytes?: number;
  /** End-to-end receipts: free a batch only when the platform's receipt covers it. Absent = the PUBACK frees it. */
  receipts?: ReceiptOptions | null;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** How long the broker keeps our session (and queues commands) while we are disconnected. */
  sessionExpirySec?: number;
  random?: () => number;
  logger?: SyncLogger;
}

export interface ReceiptOptions {
  /** The platform's Ed25519 public key (the one that signs commands). */
  platformKey: KeyObject;
  /** A batch PUBACKed this long ago without a receipt: reconnect and send everything unreceipted again. */
  timeoutMs?: number;
  /** Window of batches sent but not yet receipted (count and payload bytes); publishing pauses when full. */
  maxAwaiting?: number;
  maxAwaitingBytes?: number;
}

export const RECEIPT_DEFAULTS = {
  timeoutMs: 30_000,
  maxAwaiting: 512,
  maxAwaitingBytes: 32 * 1024 * 1024,
} as const;

export const UPLINK_DEFAULTS = {
  keepaliveSec: 30,
  connectTimeoutMs: 10_000,
  ackTimeoutMs: 15_000,
  maxInFlight: 32,
  maxInFlightBytes: 2 * 1024 * 1024,
  bytesPerSecond: null as number | null,
  /** null = one second of bytesPerSecond. */
  burstBytes: null as number | null,
  reconnectInitialMs: 500,
  reconnectMaxMs: 30_000,
  sessionExpirySec: 7 * 86_400,
} as const;

/** The options after validation: every tunable set; the outbox, TLS, credentials, random and logger are kept apart. */
export type ResolvedUplinkOptions = Required<
  Omit<UplinkOptions, 'outbox' | 'tls' | 'username' | 'password' | 'random' | 'logger' | 'bytesPerSecond' | 'burstBytes' | 'receipts'>
> & {
  bytesPerSecond: number | null;
  burstBytes: number | null;
  receipts: Required<ReceiptOptions> | null;
};

export function validateUplinkOptions(o: UplinkOptions): ResolvedUplinkOptions {
  if (!o || typeof o !== 'object') throw new TypeError(`Uplink: options must be an object, got ${String(o)}`);
  if (!o.outbox || typeof o.outbox.claimNext !== 'function') throw new TypeError('Uplink: outbox must be an Outbox');
  if (typeof o.brokerUrl !== 'string' || !/^(mqtts?|tcp|ssl):\/\/[^/]+/.test(o.brokerUrl)) {
    throw new TypeError(`Uplink: brokerUrl must look like mqtt://host:port or mqtts://host:port, got ${JSON.stringify(o.brokerUrl)}`);
  }
  if (typeof o.mineCode !== 'string' || !/^\d{12}$/.test(o.mineCode)) throw new TypeError(`Uplink: mineCode must be 12 digits, got ${JSON.stringify(o.mineCode)}`);
  if (typeof o.substation !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(o.substation)) throw new TypeError(`Uplink: substation must be 1-16 letters/digits, got ${JSON.stringify(o.substation)}`);
  const d = UPLINK_DEFAULTS;
  const merged = {
    brokerUrl: o.brokerUrl,
    mineCode: o.mineCode,
    substation: o.substation,
    clientId: o.clientId ?? `minegate-${o.mineCode}-${o.substation}`,
    keepaliveSec: o.keepaliveSec ?? d.keepaliveSec,
    connectTimeoutMs: o.connectTimeoutMs ?? d.connectTimeoutMs,
    ackTimeoutMs: o.ackTimeoutMs ?? d.ackTimeoutMs,
    maxInFlight: o.maxInFlight ?? d.maxInFlight,
    maxInFlightBytes: o.maxInFlightBytes ?? d.maxInFlightBytes,
    bytesPerSecond: o.bytesPerSecond === undefined ? d.bytesPerSecond : o.bytesPerSecond,
    burstBytes: o.burstBytes ?? d.burstBytes,
    receipts: o.receipts ? validateReceipts(o.receipts) : null,
    reconnectInitialMs: o.reconnectInitialMs ?? d.reconnectInitialMs,
    reconnectMaxMs: o.reconnectMaxMs ?? d.reconnectMaxMs,
    sessionExpirySec: o.sessionExpirySec ?? d.sessionExpirySec,
  };
  for (const k of ['keepaliveSec', 'connectTimeoutMs', 'ackTimeoutMs', 'maxInFlight', 'maxInFlightBytes', 'reconnectInitialMs', 'reconnectMaxMs', 'sessionExpirySec'] as const) {
    const v = merged[k];
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`Uplink: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (merged.burstBytes !== null && (!Number.isSafeInteger(merged.burstBytes) || merged.burstBytes < 1)) {
    throw new TypeError(`Uplink: burstBytes must be a positive integer or null (one second of the rate), got ${String(merged.burstBytes)}`);
  }
  if (merged.reconnectMaxMs < merged.reconnectInitialMs) throw new TypeError(`Uplink: reconnectMaxMs (${merged.reconnectMaxMs}) must be ≥ reconnectInitialMs (${merged.reconnectInitialMs})`);
  if (merged.bytesPerSecond !== null && !(Number.isFinite(merged.bytesPerSecond) && merged.bytesPerSecond > 0)) {
    throw new TypeError(`Uplink: bytesPerSecond must be a positive number or null, got ${String(merged.bytesPerSecond)}`);
  }
  if (typeof merged.clientId !== 'string' || merged.clientId === '') throw new TypeError(`Uplink: clientId must be a non-empty string, got ${JSON.stringify(o.clientId)}`);
  return merged;
}

function validateReceipts(r: ReceiptOptions): Required<ReceiptOptions> {
  if (typeof r !== 'object' || !r.platformKey || r.platformKey.asymmetricKeyType !== 'ed25519' || r.platformKey.type !== 'public') {
    throw new TypeError('Uplink: receipts.platformKey must be the platform Ed25519 public KeyObject');
  }
  const merged = { platformKey: r.platformKey, timeoutMs: r.timeoutMs ?? RECEIPT_DEFAULTS.timeoutMs, maxAwaiting: r.maxAwaiting ?? RECEIPT_DEFAULTS.maxAwaiting, maxAwaitingBytes: r.maxAwaitingBytes ?? RECEIPT_DEFAULTS.maxAwaitingBytes };
  for (const k of ['timeoutMs', 'maxAwaiting', 'maxAwaitingBytes'] as const) {
    if (!Number.isSafeInteger(merged[k]) || merged[k] < 1) throw new TypeError(`Uplink: receipts.${k} must be a positive integer, got ${String(merged[k])}`);
  }
  return merged;
}
