// RYXZ 进入限制区域报警: the personnel restricted-area alarm, sent when it starts and again when it ends.
// Critical, event lane: first out, never dropped, kept locally ≥ 1 year like the other alarms.
import { DAY_MS } from '../stream.js';
import { RYXZ, type RyxzRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const ryxzStream = defineMt1201Stream<RyxzRecord>({
  name: 'ryxz',
  recordType: RYXZ,
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
