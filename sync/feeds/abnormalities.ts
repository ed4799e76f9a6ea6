// YCBJ 测点异常数据 from the interlocks' safety events. An abnormality is one (point, abnormality
// code) pair: 001 over-limit alarm, 002 cut-off, 003 馈电异常, 004 broken wire, 006 comm loss,
// 008 over range … It is sent once when it starts (empty end time) and once when it ends, with
// the maximum, minimum and average of the point's readings in between.
//
// Several engine events can stand for one abnormality (a faulty sensor raises an alarm and a
// lockout hold, both 006): they are merged, and the abnormality ends when the last of them ends.
// Events without a configured point (a stopped fan's remote start …) have no YCBJ record and are
// counted in `skipped`. Everything here is in memory and O(1) per event and per reading.
import type { SafetyEvent } from '../../edge/safety/events.js';
import { ABNORMALITY_TYPES, type AbnormalityType } from '../../core/mt1201-codes.js';
import type { YcbjRecord } from '../formats/records/index.js';
import type { UpstreamPoint } from './point-info.js';

interface OpenAbnormality {
  point: UpstreamPoint;
  code: AbnormalityType;
  /** Engine keys that keep it open (alarm:…, hold:…, feed:…). */
  sources: Set<string>;
  startTime: number;
  reason: string;
  max: number | null;
  maxTime: number | null;
  min: number | null;
  minTime: number | null;
  sum: number;
  samples: number;
}

export interface AbnormalityStats {
  open: number;
  started: number;
  ended: number;
  /** Abnormal events that name no configured point (no YCBJ possible). */
  skipped: number;
}

/** Characters MT/T 1201 cannot carry inside a field; the engine's messages may contain them. */
const UNWRITABLE = /[;~|\r\n\uFF1B\u0000-\u001F\u007F]/g;
const REASON_MAX = 200;

export class AbnormalityTracker {
  private readonly open = new Map<string, OpenAbnormality>();
  /** Engine key → abnormality key, to find what an end event closes. */
  private readonly bySource = new Map<string, string>();
  /** Open abnormalities per point, for the reading statistics. */
  private readonly byPoint = new Map<string, Set<OpenAbnormality>>();
  private readonly counters = { started: 0, ended: 0, skipped: 0 };

  constructor(
    private readonly points: ReadonlyMap<string, UpstreamPoint>,
    private readonly emit: (record: YcbjRecord) => void,
  ) {
    if (!(points instanceof Map)) throw new TypeError('AbnormalityTracker: points must be a Map of UpstreamPoint');
    if (typeof emit !== 'function') throw new TypeError(`AbnormalityTracker: emit must be a function, got ${typeof emit}`);
  }

  onSafetyEvent(e: SafetyEvent): void {
    const start = startSource(e);
    if (start) {
      this.begin(e, start.source, start.code);
      return;
    }
    const end = endSource(e);
    if (end) this.finish(end, e.wallTime);
  }

  /** A reading of a point with an open abnormality widens its statistics (usable values only). */
  onReading(point: string, value: number | null, usable: boolean, wallTime: number): void {
    const open = this.byPoint.get(point);
    if (!open || !usable || value === null || !Number.isFinite(value)) return;
    for (const a of open) addSample(a, value, wallTime);
  }

  stats(): AbnormalityStats {
    return { open: this.open.size, ...this.counters };
  }

  private begin(e: SafetyEvent, source: string, code: AbnormalityType): void {
    const point = e.point !== undefined ? this.points.get(e.point) : undefined;
    if (!point) {
      this.counters.skipped++;
      return;
    }
    const key = `${point.code}|${code}`;
    const existing = this.open.get(key);
    if (existing) {
      existing.sources.add(source);
      this.bySource.set(source, key);
      if (typeof e.value === 'number') addSample(existing, e.value, e.wallTime);
      return;
    }
    const a: OpenAbnormality = {
      point,
      code,
      sources: new Set([source]),
      startTime: e.wallTime,
      reason: e.message.replace(UNWRITABLE, ' ').slice(0, REASON_MAX),
      max: null,
      maxTime: null,
      min: null,
      minTime: null,
      sum: 0,
      samples: 0,
    };
    if (typeof e.value === 'number') addSample(a, e.value, e.wallTime);
    this.open.set(key, a);
    this.bySource.set(source, key);
    let set = this.byPoint.get(point.code);
    if (!set) this.byPoint.set(point.code, (set = new Set()));
    set.add(a);
    this.counters.started++;
    this.emit(toRecord(a, null, e.wallTime));
  }

  private finish(source: string, at: number): void {
    const key = this.bySource.get(source);
    if (key === undefined) return;
    this.bySource.delete(source);
    const a = this.open.get(key);
    if (!a) return;
    a.sources.delete(source);
    if (a.sources.size > 0) return;
    this.open.delete(key);
    const set = this.byPoint.get(a.point.code);
    set?.delete(a);
    if (set?.size === 0) this.byPoint.delete(a.point.code);
    this.counters.ended++;
    this.emit(toRecord(a, at, at));
  }
}

/** The engine key an event opens, with its abnormality code; null for events that open nothing. */
function startSource(e: SafetyEvent): { source: string; code: AbnormalityType } | null {
  if (e.abnormality === undefined || !(e.abnormality in ABNORMALITY_TYPES)) return null;
  const code = e.abnormality as AbnormalityType;
  if (e.type === 'alarm-on' && e.key) return { source: `alarm:${e.key}`, code };
  if ((e.type === 'cut' || e.type === 'lockout') && e.key) return { source: `hold:${e.key}`, code };
  // The feed event carries no key; the output it is about names it, and feed-restored ends it.
  if (e.type === 'feed-abnormal' && e.outputs?.[0]) return { source: `feed:${e.outputs[0]}`, code };
  return null;
}

function endSource(e: SafetyEvent): string | null {
  if (e.type === 'alarm-off' && e.key) return `alarm:${e.key}`;
  if (e.type === 'release' && e.key) return `hold:${e.key}`;
  if (e.type === 'feed-restored' && e.outputs?.[0]) return `feed:${e.outputs[0]}`;
  return null;
}

function addSample(a: OpenAbnormality, value: number, at: number): void {
  if (!Number.isFinite(value)) return;
  a.sum += value;
  a.samples++;
  if (a.max === null || value > a.max) {
    a.max = value;
    a.maxTime = at;
  }
  if (a.min === null || value < a.min) {
    a.min = value;
    a.minTime = at;
  }
}

function toRecord(a: OpenAbnormality, endTime: number | null, dataTime: number): YcbjRecord {
  return {
    pointCode: a.point.code,
    typeName: a.point.typeName,
    location: a.point.location,
    unit: a.point.unit,
    abnormalityType: a.code,
    startTime: a.startTime,
    endTime,
    maxValue: a.max,
    maxTime: a.maxTime,
    minValue: a.min,
    minTime: a.minTime,
    averageValue: a.samples > 0 ? a.sum / a.samples : null,
    reason: a.reason === '' ? null : a.reason,
    // 处理措施, 录入时间, 录入人 are entered by a person at the platform, never guessed here.
    measures: null,
    enteredAt: null,
    enteredBy: null,
    dataTime,
  };
}
