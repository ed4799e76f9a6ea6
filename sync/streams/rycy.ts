// RYCY 区域超员报警: the personnel over-manning alarm, sent when it starts and again when it ends.
// Critical, event lane: first out, never dropped, kept locally ≥ 1 year like the other alarms.
import { DAY_MS } from '../stream.js';
import { RYCY, type RycyRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const rycyStream = defineMt1201Stream<RycyRecord>({
  name: 'rycy',
  recordType: RYCY,
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
