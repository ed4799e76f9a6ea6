// Security events: rejected downlink commands (unsigned, badly signed, expired, replayed,
// malformed). Logged locally and sent upstream so the platform sees attacks and misconfiguration.
import { DAY_MS } from '../stream.js';
import { defineJsonlStream } from './jsonl.js';

export type SecurityReason =
  | 'unsigned'
  | 'bad-signature'
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'lifetime-too-long'
  | 'replayed'
  | 'unknown-kind'
  | 'no-handler';

export interface SecurityEvent {
  /** ms epoch */
  at: number;
  reason: SecurityReason;
  topic: string;
  /** Fields of the rejected command when they could be read (never trusted). */
  commandId: string | null;
  kind: string | null;
  nonce: string | null;
  detail: string;
}

export const securityStream = defineJsonlStream<SecurityEvent>({
  name: 'security',
  type: 'SECEVT',
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  timeOf: (e) => e.at,
});
