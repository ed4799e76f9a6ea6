// FZSS 分站实时数据: the substation's own run and power status, once a minute.
import { FZSS, type FzssRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const fzssStream = defineMt1201Stream<FzssRecord>({
  name: 'fzss',
  recordType: FZSS,
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  snapshotIntervalMs: 60_000,
  timeOf: (r) => r.dataTime,
});
