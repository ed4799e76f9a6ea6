// YCBJ 测点异常数据: alarms, cut-offs, feed abnormalities (馈电异常), sensor faults, comm loss.
// Critical: never dropped before the broker acknowledged it, then kept locally ≥ 1 year.
import { DAY_MS } from '../stream.js';
import { YCBJ, type YcbjRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const ycbjStream = defineMt1201Stream<YcbjRecord>({
  name: 'ycbj',
  recordType: YCBJ,
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
