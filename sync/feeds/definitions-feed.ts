// Definition files upstream: CDDY for every configured point (thresholds as the interlocks apply
// them), FZDY for this substation, and RYQY / RYJZ / RYXX from the personnel plan when positioning
// runs. The capability calls emit() once at start — a config change is a reload, which starts the
// capability again with the new config, so a new point's CDDY is appended before its first CDSS —
// and once a day, so a platform that lost a set gets it again without asking.
import { areaRecords, personRecords, stationRecords } from '../../edge/personnel/records.js';
import type { PersonnelPlan } from '../../edge/personnel/plan.js';
import { SENSOR_TYPES, SYSTEM_CODES } from '../../core/mt1201-codes.js';
import type { CddyRecord, FzdyRecord } from '../formats/records/index.js';
import type { Outbox } from '../outbox.js';
import type { DefinitionStreams } from '../streams/definitions.js';

/** The config fields of a point that CDDY needs (board-configs/schema.ts PointConfig fits). */
export interface DefinedPoint {
  code: string;
  sensorType: string;
  unit: string;
  range: { low: number; high: number };
  location: string;
}

/** The limits the interlocks apply to a point (edge/safety ResolvedThresholds fits). */
export interface PointLimits {
  alarm?: number;
  alarmLow?: number;
  cutoff?: number;
  restore?: number;
}

export interface DefinitionSources {
  substation: { code: string; name: string; location?: string | undefined };
  points: readonly DefinedPoint[];
  limitsOf(pointCode: string): PointLimits | undefined;
  /** The personnel plan when positioning runs, else null (no RYQY/RYJZ/RYXX). */
  personnel(): PersonnelPlan | null;
}

export interface DefinitionFeedStats {
  /** Complete sets appended, and the records in them, per type. */
  sets: Record<'CDDY' | 'FZDY' | 'RYQY' | 'RYJZ' | 'RYXX', number>;
  records: number;
  errors: number;
}

/** CDDY of one point. Switch points carry no range or limits, and 开/停 as their state texts. */
export function pointDefinition(p: DefinedPoint, substation: string, limits: PointLimits | undefined, at: number): CddyRecord {
  const valueType = SENSOR_TYPES[p.sensorType]?.valueType ?? 'MN';
  const analog = valueType === 'MN' || valueType === 'LJ';
  const n = (v: number | undefined): number | null => (analog && v !== undefined ? v : null);
  return {
    pointCode: p.code,
    systemCode: SYSTEM_CODES.monitoring,
    substationCode: substation,
    sensorTypeCode: p.sensorType,
    valueType,
    unit: analog ? p.unit : '',
    rangeHigh: analog ? p.range.high : null,
    rangeLow: analog ? p.range.low : null,
    // The engine clears an alarm when the value is back under the alarm value itself (no hysteresis band).
    upperAlarm: n(limits?.alarm),
    upperAlarmClear: n(limits?.alarm),
    lowerAlarm: n(limits?.alarmLow),
    lowerAlarmClear: n(limits?.alarmLow),
    upperCutOff: n(limits?.cutoff),
    upperRestore: n(limits?.cutoff === undefined ? undefined : (limits.restore ?? limits.cutoff)),
    lowerCutOff: null,
    lowerRestore: null,
    onDescription: analog ? null : '开',
    offDescription: analog ? null : '停',
    location: p.location,
    x: null,
    y: null,
    z: null,
    relations: null,
    dataTime: at,
  };
}

export class DefinitionFeed {
  private readonly counters: DefinitionFeedStats = { sets: { CDDY: 0, FZDY: 0, RYQY: 0, RYJZ: 0, RYXX: 0 }, records: 0, errors: 0 };

  constructor(
    private readonly outbox: Outbox,
    private readonly streams: DefinitionStreams,
    private readonly sources: DefinitionSources,
    private readonly onError: (what: string, err: unknown) => void,
  ) {}

  /** Appends the complete set of every definition type (O(records), no disk: the outbox flushes). */
  emit(at: number): void {
    const s = this.sources;
    const sub = s.substation;
    this.set('CDDY', () => s.points.map((p) => pointDefinition(p, sub.code, s.limitsOf(p.code), at)), (r) => this.outbox.append(this.streams.cddy, r));
    const fzdy: FzdyRecord = { substationCode: sub.code, location: sub.location ?? sub.name, x: null, y: null, z: null, dataTime: at };
    this.set('FZDY', () => [fzdy], (r) => this.outbox.append(this.streams.fzdy, r));
    const plan = s.personnel();
    if (!plan) return;
    this.set('RYQY', () => areaRecords(plan), (record) => this.outbox.append(this.streams.ryqy, { at, record }));
    this.set('RYJZ', () => stationRecords(plan), (record) => this.outbox.append(this.streams.ryjz, { at, record }));
    this.set('RYXX', () => personRecords(plan), (record) => this.outbox.append(this.streams.ryxx, { at, record }));
  }

  stats(): DefinitionFeedStats {
    return { ...this.counters, sets: { ...this.counters.sets } };
  }

  private set<R>(type: keyof DefinitionFeedStats['sets'], build: () => R[], append: (r: R) => void): void {
    let records: R[];
    try {
      records = build();
    } catch (err) {
      this.counters.errors++;
      this.onError(`${type} definitions`, err);
      return;
    }
    if (records.length === 0) return;
    for (const r of records) append(r);
    this.counters.sets[type]++;
    this.counters.records += records.length;
  }
}
