// RYCS 人员超时报警: the personnel overtime alarm, sent when it starts and again when it ends.
// Critical, event lane: first out, never dropped, kept locally ≥ 1 year like the other alarms.
import { DAY_MS } from '../stream.js';
import { RYCS, type RycsRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const rycsStream = defineMt1201Stream<RycsRecord>({
  name: 'rycs',
  recordType: RYCS,
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
