// Seal events: every alarm start/update/end, every counted crossing, camera restarts and jumps,
// mode changes and shift starts. An alarm event carries what the national e-seal platform and the
// AI boxes' alarm messages carry (domain.md §4): camera id, position, rule id, time, message, count
// of persons/vehicles and an image reference.
import type { SealCounterName } from '../../drivers/seal-camera.js';
import { formatTime, MINE_TZ_OFFSET_MINUTES } from '../../core/mine-time.js';

export const SEAL_RULES = {
  /** 明停暗开: a person or vehicle crossed a shaft mouth declared stopped (停产/停建). */
  'stopped-crossing': '明停暗开(人员/车辆出入)',
  /** 明停暗开: a production load draws power above idle while its shaft mouth is stopped. */
  'stopped-power': '明停暗开(生产用电)',
  'video-lost': '视频丢失',
  occluded: '镜头遮挡',
  displaced: '摄像机移位',
  blurred: '画面模糊',
  'camera-offline': '摄像机离线',
  /** More persons entered past the seal than cards checked in there (未带卡/人卡不符). */
  'person-without-card': '人员未带卡',
  /** Seal headcount (baseline + in − out) differs from the positioning headcount. */
  'headcount-mismatch': '封条人数与定位人数不符',
  /** The seal counts persons while positioning sees no card at all. */
  'positioning-silent': '封条计数而定位无数据',
} as const;
export type SealRuleId = keyof typeof SEAL_RULES;
export const SEAL_RULE_IDS = Object.keys(SEAL_RULES) as SealRuleId[];

export type SealEventType =
  | 'alarm-on'
  /** The count (or value) of an active alarm changed, e.g. another person crossed a stopped mouth. */
  | 'alarm-update'
  | 'alarm-off'
  /** The image of an active alarm was stored (or could not be fetched: `imageRef` null, reason set). */
  | 'image'
  /** Persons or vehicles crossed, in the mine's direction (peopleIn = into the mine). */
  | 'crossing'
  | 'camera-restarted'
  | 'counter-jump'
  | 'camera-online'
  | 'mode-changed'
  | 'shift-started'
  /** Events the store could not keep while it was failing (oldest dropped first). */
  | 'events-dropped';

export interface SealEvent {
  /** Sequence number, persisted: it keeps rising across restarts (upstream dedupes on it). */
  seq: number;
  type: SealEventType;
  wallTime: number;
  rule?: SealRuleId;
  /** Same id on the start, updates, image and end of one alarm. */
  alarmId?: string;
  shaftMouth?: string;
  cameraId?: string;
  /** 安装位置 of the camera, or the shaft mouth / load name when no camera is involved. */
  position: string;
  message: string;
  /** Persons or vehicles the event is about (crossings, unmatched entries, headcount difference). */
  count?: number;
  /** Reference to the stored alarm image (see SnapshotStore.resolve). */
  imageRef?: string;
  load?: string;
  /** kW for power alarms. */
  value?: number;
  counter?: SealCounterName;
  operator?: string;
  reason?: string;
}

/** The alarm message shape of the e-seal AI boxes (domain.md §4, S30), for upstream. */
export interface SealAlarmMessage {
  alarmId: string;
  state: 'start' | 'update' | 'end' | 'image';
  cameraId: string;
  position: string;
  ruleId: SealRuleId;
  /** Rule name as the platform shows it. */
  ruleName: string;
  /** 1 = e-seal alarm. */
  alarmSeal: 1;
  /** yyyy-MM-dd HH:mm:ss, mine time. */
  time: string;
  alarmMsg: string;
  alarmMsgCount: number;
  alarmImage: string;
}

const STATE: Partial<Record<SealEventType, SealAlarmMessage['state']>> = { 'alarm-on': 'start', 'alarm-update': 'update', 'alarm-off': 'end', image: 'image' };

/** The upstream alarm message of an alarm event; null for events that are not about an alarm. */
export function toAlarmMessage(e: SealEvent, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): SealAlarmMessage | null {
  const state = STATE[e.type];
  if (!state || !e.rule || !e.alarmId) return null;
  return {
    alarmId: e.alarmId,
    state,
    cameraId: e.cameraId ?? '',
    position: e.position,
    ruleId: e.rule,
    ruleName: SEAL_RULES[e.rule],
    alarmSeal: 1,
    time: formatTime(e.wallTime, tzOffsetMinutes),
    alarmMsg: e.message,
    alarmMsgCount: e.count ?? 0,
    alarmImage: e.imageRef ?? '',
  };
}

/** An active alarm (also what is persisted, so an alarm raised before a restart still gets its end). */
export interface SealAlarm {
  id: string;
  rule: SealRuleId;
  /** rule:subject — at most one active alarm per key. */
  key: string;
  shaftMouth?: string;
  cameraId?: string;
  load?: string;
  position: string;
  sinceWall: number;
  /** Last time the alarm's condition was seen (stopped-mode crossings clear after a quiet time). */
  lastWall: number;
  count?: number;
  value?: number;
  message: string;
  imageRef?: string;
}
