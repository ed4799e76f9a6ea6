// `minegate sync status --json`, schema "minegate.sync-status/1": the same keys whether a gateway
// answered on its control socket or only the outbox file could be read. What only a running
// gateway knows (connection, rates, commands, feeds) is null offline; what the file holds
// (backlog per lane, per-stream sequence state, history) is read from the file in both cases, by
// the CLI process itself, read-only, so the gateway's event loop never runs the query. Adding a
// key is compatible within version 1; renaming or removing one bumps the version.
import type { LaneBacklog } from './outbox.js';
import type { OutboxReport } from './outbox-report.js';
import { LANES, type Lane } from './stream.js';
import type { UpstreamStatusJson } from './sync-capability.js';

export const SYNC_STATUS_SCHEMA = 'minegate.sync-status/1';

type Live<K extends keyof UpstreamStatusJson> = UpstreamStatusJson[K] | null;

export interface SyncStatusJson {
  schema: typeof SYNC_STATUS_SCHEMA;
  /** True when a running gateway answered; false: only the outbox file was read. */
  gateway: boolean;
  outboxFile: string | null;
  enabled: boolean | null;
  disabledReason: string | null;
  broker: string | null;
  /** Uplink state; 'not-running' when no gateway answered. */
  state: UpstreamStatusJson['state'] | 'not-running';
  connected: boolean;
  delivery: Live<'delivery'>;
  /** Unacknowledged batches on disk per lane (from the gateway, else from the file). */
  backlog: Record<Lane, LaneBacklog>;
  /** Per stream: waiting batches and records, next sequence number, records dropped; null when the file could not be read. */
  streams: OutboxReport['streams'] | null;
  historyBatches: number | null;
  queued: number | null;
  acked: Live<'acked'>;
  drainRecordsPerSec: number | null;
  awaitingReceipt: number | null;
  dropped: Live<'dropped'>;
  gapMarkers: number | null;
  rejected: number | null;
  lostCritical: number | null;
  storedBytes: number | null;
  maxBytes: number | null;
  lastError: string | null;
  commands: Live<'commands'>;
  timeSync: Live<'timeSync'>;
  abnormalities: Live<'abnormalities'>;
  personnel: Live<'personnel'>;
  sealMessages: number | null;
  fileDrop: Live<'fileDrop'>;
  definitions: Live<'definitions'>;
}

const emptyBacklog = (): Record<Lane, LaneBacklog> => Object.fromEntries(LANES.map((l) => [l, { batches: 0, records: 0, bytes: 0, oldestTime: null }])) as Record<Lane, LaneBacklog>;

/** A running gateway's answer, plus what the CLI read from the outbox file (null if it could not). */
export function onlineSyncStatus(s: UpstreamStatusJson, file: string | null, report: OutboxReport | null): SyncStatusJson {
  return {
    schema: SYNC_STATUS_SCHEMA,
    gateway: true,
    outboxFile: file,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    broker: s.broker,
    state: s.state,
    connected: s.connected,
    delivery: s.delivery,
    backlog: s.backlog,
    streams: report?.streams ?? null,
    historyBatches: report?.historyBatches ?? null,
    queued: s.queued,
    acked: s.acked,
    drainRecordsPerSec: s.drainRecordsPerSec,
    awaitingReceipt: s.awaitingReceipt,
    dropped: s.dropped,
    gapMarkers: s.gapMarkers,
    rejected: s.rejected,
    lostCritical: s.lostCritical,
    storedBytes: s.storedBytes,
    maxBytes: s.maxBytes,
    lastError: s.lastError,
    commands: s.commands,
    timeSync: s.timeSync,
    abnormalities: s.abnormalities,
    personnel: s.personnel,
    sealMessages: s.sealMessages,
    fileDrop: s.fileDrop,
    definitions: s.definitions,
  };
}

/** No gateway answered: what the outbox file says. */
export function offlineSyncStatus(report: OutboxReport): SyncStatusJson {
  const backlog = { ...emptyBacklog(), ...report.lanes };
  return {
    schema: SYNC_STATUS_SCHEMA,
    gateway: false,
    outboxFile: report.file,
    enabled: null,
    disabledReason: null,
    broker: null,
    state: 'not-running',
    connected: false,
    delivery: null,
    backlog,
    streams: report.streams,
    historyBatches: report.historyBatches,
    queued: null,
    acked: null,
    drainRecordsPerSec: null,
    awaitingReceipt: null,
    dropped: null,
    gapMarkers: null,
    rejected: null,
    lostCritical: null,
    storedBytes: LANES.reduce((n, l) => n + backlog[l].bytes, 0),
    maxBytes: null,
    lastError: null,
    commands: null,
    timeSync: null,
    abnormalities: null,
    personnel: null,
    sealMessages: null,
    fileDrop: null,
    definitions: null,
  };
}
