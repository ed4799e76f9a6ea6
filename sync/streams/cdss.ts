// CDSS 测点实时数据: snapshots of every point. Routine: under pressure the oldest snapshots go first
// (with a gap marker); local real-time history (≥ 7 days, AQ 6201-2019) is the readings table.
import { CDSS, type CdssRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const cdssStream = defineMt1201Stream<CdssRecord>({
  name: 'cdss',
  recordType: CDSS,
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  snapshotIntervalMs: 10_000,
  timeOf: (r) => r.dataTime,
});
