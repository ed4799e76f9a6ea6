// RYQJ 人员求救: a miner pressed SOS on the card. Critical, event lane: first out, never dropped,
// kept locally ≥ 1 year like alarms.
import { DAY_MS } from '../stream.js';
import { RYQJ, type RyqjRecord } from '../formats/records/index.js';
import { defineMt1201Stream } from './mt1201.js';

export const ryqjStream = defineMt1201Stream<RyqjRecord>({
  name: 'ryqj',
  recordType: RYQJ,
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  snapshotIntervalMs: null,
  timeOf: (r) => r.dataTime,
});
