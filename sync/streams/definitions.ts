// Definition streams (MT/T 1201 CDDY 测点定义, FZDY 分站定义, RYQY 区域定义, RYJZ 基站定义, RYXX
// 人员信息): what a platform needs to interpret CDSS/FZSS/RYSS/JZSS records. Each emission is the
// complete set of its type. Event lane and critical, so a set appended before a real-time record
// is always delivered (and written to the file drop) before it: the event lane drains first and
// a flush seals critical streams before routine ones. CDDY and RYXX carry extended headers (system
// model, name, manufacturer, safety-certificate expiry; RYXX also 核定下井人数), which come from the
// config, so these streams are built per gateway by `definitionStreams(...)`, not registered statically.
import { CDDY, FZDY, RYJZ, RYQY, RYXX, type CddyRecord, type FzdyRecord, type RyjzRecord, type RyqyRecord, type RyxxRecord } from '../formats/records/index.js';
import { DAY_MS, type StreamDef } from '../stream.js';
import { defineMt1201Stream } from './mt1201.js';

/** 系统型号; 系统名称; 生产厂家/厂家名称; 安标有效期 of one system (monitoring or positioning). */
export interface SystemHeader {
  model: string;
  name: string;
  manufacturer: string;
  certificateExpiry: string;
}

/** A definition record with the time of the emission it belongs to (RYQY/RYJZ/RYXX have no time field). */
export interface DefinitionEntry<R> {
  at: number;
  record: R;
}

export interface DefinitionStreams {
  cddy: StreamDef<CddyRecord>;
  fzdy: StreamDef<FzdyRecord>;
  ryqy: StreamDef<DefinitionEntry<RyqyRecord>>;
  ryjz: StreamDef<DefinitionEntry<RyjzRecord>>;
  ryxx: StreamDef<DefinitionEntry<RyxxRecord>>;
}

const common = { lane: 'event', criticality: 'critical', historyRetentionMs: 400 * DAY_MS, snapshotIntervalMs: DAY_MS } as const;
const header = (h: SystemHeader): string[] => [h.model, h.name, h.manufacturer, h.certificateExpiry];

export function definitionStreams(o: { monitoring: SystemHeader; positioning: SystemHeader; ratedUnderground: number | null }): DefinitionStreams {
  return {
    cddy: defineMt1201Stream<CddyRecord>({ ...common, name: 'cddy', recordType: CDDY, timeOf: (r) => r.dataTime, headerExtra: header(o.monitoring) }),
    fzdy: defineMt1201Stream<FzdyRecord>({ ...common, name: 'fzdy', recordType: FZDY, timeOf: (r) => r.dataTime }),
    ryqy: defineMt1201Stream<DefinitionEntry<RyqyRecord>, RyqyRecord>({ ...common, name: 'ryqy', recordType: RYQY, timeOf: (e) => e.at, recordOf: (e) => e.record }),
    ryjz: defineMt1201Stream<DefinitionEntry<RyjzRecord>, RyjzRecord>({ ...common, name: 'ryjz', recordType: RYJZ, timeOf: (e) => e.at, recordOf: (e) => e.record }),
    ryxx: defineMt1201Stream<DefinitionEntry<RyxxRecord>, RyxxRecord>({
      ...common,
      name: 'ryxx',
      recordType: RYXX,
      timeOf: (e) => e.at,
      recordOf: (e) => e.record,
      headerExtra: [o.ratedUnderground === null ? '' : String(o.ratedUnderground), ...header(o.positioning)],
    }),
  };
}
