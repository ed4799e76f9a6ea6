// Electronic seal (电子封条) alarm messages: start, update, image and end of every seal alarm, in
// the shape the e-seal AI boxes send (edge/seals/events.ts toAlarmMessage). MT/T 1201 has no seal
// file, so they travel as JSON Lines like minegate's other own streams. Critical: a 明停暗开
// alarm is exactly what the platform must not miss.
import { DAY_MS } from '../stream.js';
import { defineJsonlStream } from './jsonl.js';

export interface SealAlarmEntry {
  /** ms epoch of the event. */
  at: number;
  /** Persisted seal event sequence (rises across restarts): the platform dedupes on it. */
  seq: number;
  alarmId: string;
  state: 'start' | 'update' | 'end' | 'image';
  cameraId: string;
  position: string;
  ruleId: string;
  ruleName: string;
  alarmSeal: 1;
  /** yyyy-MM-dd HH:mm:ss, mine time. */
  time: string;
  alarmMsg: string;
  alarmMsgCount: number;
  alarmImage: string;
}

export const sealStream = defineJsonlStream<SealAlarmEntry>({
  name: 'seal',
  type: 'SEAL',
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  timeOf: (e) => e.at,
});
