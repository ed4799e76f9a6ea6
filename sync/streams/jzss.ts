// JZSS 基站实时数据: personnel-positioning station status, every minute per protocol.
import { JZSS, type JzssRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const jzssStream = defineMt1201Stream<JzssRecord>({
  name: 'jzss',
  recordType: JZSS,
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  snapshotIntervalMs: 60_000,
  timeOf: (r) => r.dataTime,
});
