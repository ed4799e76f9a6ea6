// Upstream-ready MT/T 1201.3 records from the personnel state: RYQY areas, RYJZ stations, RYXX
// people (definitions, from the config), RYSS full snapshot and JZSS station status (from the
// engine), and the alarm files RYCS overtime, RYCY over-manning, RYXZ restricted area, RYQJ SOS.
// Pure mapping: sync decides when to send and how to frame files.
import type { AreaKind } from '../../board-configs/personnel-schema.js';
import { type AreaType, IN_OUT_FLAG, type InOutFlag as RyssFlag, POWER_STATUS, type PowerStatus, RUN_STATUS, type RunStatus } from '../../core/mt1201-codes.js';
import type { JzssRecord, RycsRecord, RycyRecord, RyjzRecord, RyqjRecord, RyqyRecord, RyssRecord, RyxxRecord, RyxzRecord } from '../../sync/formats/records/index.js';
import type { PersonnelAlarm } from './alarms.js';
import type { PersonView, StationPower, StationRunState, StationView } from './engine.js';
import type { PersonnelPlan } from './plan.js';

/** What the builders read; a PersonnelEngine satisfies it. */
export interface PersonnelRecordSource {
  readonly plan: PersonnelPlan;
  snapshot(): PersonView[];
  stations(): StationView[];
  alarms(): PersonnelAlarm[];
}

export type PersonnelAlarmRecord =
  | { type: 'RYCS'; record: RycsRecord }
  | { type: 'RYCY'; record: RycyRecord }
  | { type: 'RYXZ'; record: RyxzRecord }
  | { type: 'RYQJ'; record: RyqjRecord };

const AREA_TYPE: Record<AreaKind, AreaType> = {
  'shaft-mouth': '井口区域',
  key: '重点区域',
  restricted: '限制区域',
  other: '其它区域',
};

const FLAG: Record<0 | 1 | 2, RyssFlag> = { 0: IN_OUT_FLAG.atShaftMouth, 1: IN_OUT_FLAG.underground, 2: IN_OUT_FLAG.out };

const RUN: Record<StationRunState, RunStatus> = { online: RUN_STATUS.commOk, offline: RUN_STATUS.commInterrupted, unknown: RUN_STATUS.unknown };
const POWER: Record<StationPower, PowerStatus> = { dc: POWER_STATUS.dc, ac: POWER_STATUS.ac, fault: POWER_STATUS.fault, unknown: POWER_STATUS.unknown };

/** RYQY: every configured area. */
export function areaRecords(plan: PersonnelPlan): RyqyRecord[] {
  return [...plan.areas.values()].map((a) => ({ areaType: AREA_TYPE[a.type], areaCode: a.code, ratedCount: a.ratedCount ?? null, areaName: a.name }));
}

/** RYJZ: every configured station. */
export function stationRecords(plan: PersonnelPlan): RyjzRecord[] {
  return [...plan.stations.values()].map((s) => ({ stationCode: s.code, name: s.name, x: s.x ?? null, y: s.y ?? null, z: s.z ?? null, locationNote: s.note ?? null }));
}

/** RYXX: one record per card of the roster (its header carries ratedUnderground as 核定下井人数). */
export function personRecords(plan: PersonnelPlan): RyxxRecord[] {
  return [...plan.byTag.values()].map((r) => ({
    cardCode: r.card,
    name: r.name,
    trade: r.job ?? null,
    position: r.position ?? null,
    team: r.team ?? null,
    birth: r.birth ?? null,
    education: r.education ?? null,
    isMineLeader: r.leader,
    isSpecialWorker: r.special,
  }));
}

/** RYSS: the full snapshot of everyone on the roster (underground headcount = flag 1). */
export function snapshotRecords(source: PersonnelRecordSource): RyssRecord[] {
  const { plan } = source;
  const labour = plan.config.labourOrganisation ?? null;
  return source.snapshot().map((p) => ({
    cardCode: p.card,
    name: p.name,
    inOutFlag: FLAG[p.flag],
    entryTime: p.entryWall,
    exitTime: p.flag === 2 ? p.exitWall : null,
    areaCode: areaCode(plan, p.area),
    areaEntryTime: p.area === null ? null : p.areaEntryWall,
    stationCode: stationCode(plan, p.reader),
    stationEntryTime: p.reader === null ? null : p.stationEntryWall,
    labourOrganisation: labour,
    distanceM: p.flag === 2 ? null : p.distanceM,
    workState: p.sos ? '求救' : '正常',
    isMineLeader: p.leader,
    isSpecialWorker: p.special,
    track: p.trajectory.map((t) => ({ stationCode: plan.stations.get(t.reader)!.code, time: t.wall })),
  }));
}

/** JZSS: every station's run and power status at `dataTime`. */
export function stationStatusRecords(source: PersonnelRecordSource, dataTime: number): JzssRecord[] {
  return source.stations().map((s) => ({ stationCode: s.code, runStatus: RUN[s.state], powerStatus: POWER[s.power], dataTime }));
}

/**
 * The national alarm record of one alarm (open or ended), or null for kinds that have no national
 * file (low battery, lost card, multiple cards, cloned card, special-operator area, reader offline,
 * acknowledgement overdue: those go upstream as events only). RYCY lists the cards in the area now.
 */
export function alarmRecord(source: PersonnelRecordSource, alarm: PersonnelAlarm, dataTime: number, people?: readonly PersonView[]): PersonnelAlarmRecord | null {
  const { plan } = source;
  switch (alarm.kind) {
    case 'overtime':
      return {
        type: 'RYCS',
        record: {
          cardCode: alarm.card!,
          name: alarm.name!,
          entryTime: alarm.entryWall!,
          allowedMinutes: Math.max(1, Math.round(alarm.allowedMs! / 60_000)),
          alarmStart: alarm.startWall,
          alarmEnd: alarm.endWall,
          ...lastPlace(source, alarm, people),
          dataTime,
        },
      };
    case 'area-overmanning':
    case 'mine-overmanning': {
      const area = alarm.kind === 'area-overmanning' ? plan.areas.get(alarm.area!)! : undefined;
      const everyone = people ?? source.snapshot();
      const present = alarm.endWall !== null ? [] : everyone.filter((p) => (area ? p.area === area.id && p.flag !== 2 : p.flag === 1)).map((p) => p.card);
      return {
        type: 'RYCY',
        record: {
          areaCode: area ? area.code : null,
          areaName: area ? area.name : plan.mine.name,
          ratedCount: alarm.rated!,
          actualCount: alarm.actual!,
          alarmStart: alarm.startWall,
          alarmEnd: alarm.endWall,
          cardCodes: present.sort(),
          dataTime,
        },
      };
    }
    case 'restricted-area': {
      const area = plan.areas.get(alarm.area!)!;
      return {
        type: 'RYXZ',
        record: {
          cardCode: alarm.card!,
          name: alarm.name!,
          areaCode: area.code,
          areaName: area.name,
          stationCode: stationCode(plan, alarm.reader ?? null),
          entryTime: alarm.entryWall ?? alarm.startWall,
          exitTime: alarm.endWall,
          dataTime,
        },
      };
    }
    case 'sos':
      return {
        type: 'RYQJ',
        record: {
          cardCode: alarm.card!,
          name: alarm.name!,
          areaCode: areaCode(plan, alarm.area ?? null),
          stationCode: stationCode(plan, alarm.reader ?? null),
          distanceM: alarm.distanceM ?? null,
          sosTime: alarm.startWall,
          clearTime: alarm.endWall,
          dataTime,
        },
      };
    default:
      return null;
  }
}

/** Records of every open alarm that has a national file, grouped by file type. */
export function openAlarmRecords(source: PersonnelRecordSource, dataTime: number): { RYCS: RycsRecord[]; RYCY: RycyRecord[]; RYXZ: RyxzRecord[]; RYQJ: RyqjRecord[] } {
  const out = { RYCS: [] as RycsRecord[], RYCY: [] as RycyRecord[], RYXZ: [] as RyxzRecord[], RYQJ: [] as RyqjRecord[] };
  const people = source.snapshot();
  for (const alarm of source.alarms()) {
    const r = alarmRecord(source, alarm, dataTime, people);
    if (r) (out[r.type] as unknown[]).push(r.record);
  }
  return out;
}

/** Where the person is now (open alarm) or was when it started (ended alarm, or person gone). */
function lastPlace(source: PersonnelRecordSource, alarm: PersonnelAlarm, people?: readonly PersonView[]): { areaCode: string | null; stationCode: string | null } {
  const { plan } = source;
  if (alarm.endWall === null && alarm.tag !== undefined) {
    const p = (people ?? source.snapshot()).find((v) => v.tag === alarm.tag);
    if (p && p.flag !== 2) return { areaCode: areaCode(plan, p.area), stationCode: stationCode(plan, p.reader) };
  }
  return { areaCode: areaCode(plan, alarm.area ?? null), stationCode: stationCode(plan, alarm.reader ?? null) };
}

function areaCode(plan: PersonnelPlan, area: string | null): string | null {
  return area === null ? null : (plan.areas.get(area)?.code ?? null);
}

function stationCode(plan: PersonnelPlan, reader: number | null): string | null {
  return reader === null ? null : (plan.stations.get(reader)?.code ?? null);
}
