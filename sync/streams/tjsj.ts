// TJSJ 统计数据: 5-minute statistics. Backlog lane (never ahead of events or live data), but
// critical: AQ 6201-2019 wants them kept ≥ 1 year and the local copy is made on acknowledgement,
// so they must not be dropped on the way. The volume is small (one record per point per 5 min).
import { DAY_MS } from '../stream.js';
import { TJSJ, type TjsjRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const tjsjStream = defineMt1201Stream<TjsjRecord>({
  name: 'tjsj',
  recordType: TJSJ,
  lane: 'backlog',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
