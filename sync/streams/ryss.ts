// RYSS 人员实时数据: a complete snapshot of everyone known to the positioning system every 30 s.
// The record itself carries no snapshot time, so an appended entry wraps it with one.
import { RYSS, type RyssRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export interface RyssSnapshotEntry {
  /** When the snapshot was taken, ms epoch (ages and gap markers use it). */
  snapshotTime: number;
  record: RyssRecord;
}

export const ryssStream = defineMt1201Stream<RyssSnapshotEntry, RyssRecord>({
  name: 'ryss',
  recordType: RYSS,
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  snapshotIntervalMs: 30_000,
  timeOf: (e) => e.snapshotTime,
  recordOf: (e) => e.record,
});
