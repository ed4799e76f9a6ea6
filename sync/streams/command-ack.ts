// Results of downlink commands: one record when a command is accepted or rejected, and one when
// its handler finished (completed or failed), so the platform knows a remote cut-off really ran.
import { DAY_MS } from '../stream.js';
import { defineJsonlStream } from './jsonl.js';

export type CommandStatus = 'accepted' | 'rejected' | 'completed' | 'failed';

export interface CommandAck {
  /** ms epoch */
  at: number;
  commandId: string | null;
  kind: string | null;
  status: CommandStatus;
  /** Why it was rejected or failed. */
  reason: string | null;
  /** What the handler returned (JSON-serialisable), for completed commands. */
  result: unknown;
}

export const commandAckStream = defineJsonlStream<CommandAck>({
  name: 'cmdack',
  type: 'CMDACK',
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  timeOf: (a) => a.at,
});
