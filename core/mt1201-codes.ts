// Code tables of MT/T 1201 (domain.md §5.2, §5.3) and the single place where minegate's reading
// qualities become national point-status bits. Sources are secondary ([S] S17, S18); names are
// kept in Chinese because they are written into files as-is.
import type { Quality } from './readings.js';

/** 测点状态 bit values; a status is the OR of the bits that apply, 0 = normal. */
export const POINT_STATUS = {
  normal: 0,
  alarm: 1,
  cutOff: 2,
  calibrating: 4,
  overRange: 8,
  substationFault: 16,
  notPolled: 32,
  paused: 64,
  sensorFault: 128,
} as const;
export type PointStatusFlag = Exclude<keyof typeof POINT_STATUS, 'normal'>;
const FLAG_NAMES = Object.keys(POINT_STATUS).filter((k) => k !== 'normal') as PointStatusFlag[];
/** Highest valid status: every bit set. */
export const MAX_POINT_STATUS = 255;

/** Combines status flags, given as names (`['alarm','cutOff']` → 3) or as a boolean map. */
export function pointStatus(flags: Iterable<PointStatusFlag> | Partial<Record<PointStatusFlag, boolean>>): number {
  let status = 0;
  const add = (name: string): void => {
    if (!(FLAG_NAMES as string[]).includes(name)) {
      throw new TypeError(`unknown point status flag ${JSON.stringify(name)}; known: ${FLAG_NAMES.join(', ')}`);
    }
    status |= POINT_STATUS[name as PointStatusFlag];
  };
  if (flags !== null && typeof flags === 'object' && Symbol.iterator in flags) {
    for (const name of flags as Iterable<PointStatusFlag>) add(name);
  } else if (flags !== null && typeof flags === 'object') {
    for (const [name, on] of Object.entries(flags)) if (on === true) add(name);
  } else {
    throw new TypeError(`flags must be an iterable of flag names or a boolean map, got ${String(flags)}`);
  }
  return status;
}

/** The flags set in a status value (inverse of pointStatus). */
export function pointStatusFlags(status: number): PointStatusFlag[] {
  if (!Number.isInteger(status) || status < 0 || status > MAX_POINT_STATUS) {
    throw new TypeError(`point status must be an integer 0..${MAX_POINT_STATUS}, got ${String(status)}`);
  }
  return FLAG_NAMES.filter((name) => (status & POINT_STATUS[name]) !== 0);
}

/**
 * Reading quality → status bits (the only place this mapping lives):
 * good 0; calibrating 4 (标校); over-range 8 (超量程); stale 32 (未巡检: no fresh acquisition);
 * sensor-fault 128 (传感器故障, includes broken wire); comm-fault 16 (分站故障: the gateway —
 * the substation — cannot reach the device, as core/readings.ts documents).
 * Alarm, cut-off and paused come from the safety engine and the operator, not from the reading.
 */
const QUALITY_STATUS: Record<Quality, number> = {
  good: POINT_STATUS.normal,
  calibrating: POINT_STATUS.calibrating,
  'over-range': POINT_STATUS.overRange,
  stale: POINT_STATUS.notPolled,
  'sensor-fault': POINT_STATUS.sensorFault,
  'comm-fault': POINT_STATUS.substationFault,
};

export function statusFromReading(
  reading: { quality: Quality },
  extra: { alarm?: boolean; cutOff?: boolean; paused?: boolean } = {},
): number {
  const base = QUALITY_STATUS[reading.quality];
  if (base === undefined) throw new TypeError(`unknown reading quality ${JSON.stringify(reading.quality)}`);
  return base | pointStatus({ alarm: extra.alarm === true, cutOff: extra.cutOff === true, paused: extra.paused === true });
}

/** 异常类型 codes of YCBJ records. */
export const ABNORMALITY_TYPES = {
  '001': '超限报警',
  '002': '断电报警',
  '003': '馈电异常',
  '004': '传感器断线',
  '005': '分站电源断电',
  '006': '分站通讯中断',
  '007': '标校',
  '008': '超量程',
  '009': '上限预警',
  '010': '下限预警',
} as const;
export type AbnormalityType = keyof typeof ABNORMALITY_TYPES;
export const ABNORMALITY = {
  overLimitAlarm: '001',
  cutOffAlarm: '002',
  feedAbnormal: '003',
  sensorBrokenWire: '004',
  stationPowerLoss: '005',
  stationCommLoss: '006',
  calibration: '007',
  overRange: '008',
  upperPreWarning: '009',
  lowerPreWarning: '010',
} as const satisfies Record<string, AbnormalityType>;

/** 分站/基站运行状态 (dict B.8). */
export const RUN_STATUS = { commOk: '0', commInterrupted: '1', fault: '2', unknown: '9' } as const;
export type RunStatus = (typeof RUN_STATUS)[keyof typeof RUN_STATUS];
export const RUN_STATUS_CODES: readonly RunStatus[] = Object.values(RUN_STATUS);

/** 分站/基站供电状态 (dict B.9). */
export const POWER_STATUS = { dc: '0', ac: '1', fault: '2', unknown: '9' } as const;
export type PowerStatus = (typeof POWER_STATUS)[keyof typeof POWER_STATUS];
export const POWER_STATUS_CODES: readonly PowerStatus[] = Object.values(POWER_STATUS);

/** 数值类型: analog, switch, cumulative, multi-state. */
export const VALUE_TYPES = { MN: '模拟量', KG: '开关量', LJ: '累计量', DT: '多态量' } as const;
export type ValueType = keyof typeof VALUE_TYPES;
export const VALUE_TYPE_CODES = Object.keys(VALUE_TYPES) as ValueType[];

/** 系统编码 of CDDY. */
export const SYSTEM_CODES = { monitoring: '01', drainage: '02' } as const;
export type SystemCode = (typeof SYSTEM_CODES)[keyof typeof SYSTEM_CODES];

export interface SensorTypeInfo {
  /** Name written into files (传感器类型名称). */
  name: string;
  english: string;
  valueType: ValueType;
}

/**
 * 传感器类型 codes known from domain.md §5.2 (partial list; the full dictionary is in MT/T 1201.1
 * Annex B, which we have not read). Cumulative codes 3001–3005 exist but their individual names
 * were not found, so they are left out rather than guessed.
 */
export const SENSOR_TYPES: Readonly<Record<string, SensorTypeInfo>> = Object.freeze({
  '0001': { name: '环境瓦斯', english: 'methane (CH4)', valueType: 'MN' },
  '0002': { name: '风速', english: 'wind speed', valueType: 'MN' },
  '0003': { name: '温度', english: 'temperature', valueType: 'MN' },
  '0004': { name: '一氧化碳', english: 'carbon monoxide (CO)', valueType: 'MN' },
  '0005': { name: '风压', english: 'wind pressure', valueType: 'MN' },
  '0006': { name: '负压', english: 'negative pressure', valueType: 'MN' },
  '0009': { name: '硫化氢', english: 'hydrogen sulphide (H2S)', valueType: 'MN' },
  '0011': { name: '高低浓甲烷', english: 'high/low-range methane', valueType: 'MN' },
  '0012': { name: '氧气', english: 'oxygen (O2)', valueType: 'MN' },
  '0013': { name: '二氧化碳', english: 'carbon dioxide (CO2)', valueType: 'MN' },
  '0014': { name: '粉尘', english: 'dust', valueType: 'MN' },
  '0019': { name: '风量', english: 'air volume', valueType: 'MN' },
  '0022': { name: '管道甲烷', english: 'pipe methane', valueType: 'MN' },
  '0036': { name: '混合流量', english: 'drainage mixed flow', valueType: 'MN' },
  '0037': { name: '纯流量', english: 'drainage pure flow', valueType: 'MN' },
  '0043': { name: '激光甲烷', english: 'laser methane', valueType: 'MN' },
  '1001': { name: '局部通风机', english: 'local fan', valueType: 'KG' },
  '1002': { name: '风门', english: 'air door (damper)', valueType: 'KG' },
  '1003': { name: '风筒', english: 'air duct', valueType: 'KG' },
  '1004': { name: '设备开停', english: 'equipment on/off', valueType: 'KG' },
  '1006': { name: '风向', english: 'wind direction', valueType: 'KG' },
  '1008': { name: '烟雾', english: 'smoke', valueType: 'KG' },
  '1009': { name: '断电器', english: 'power-off controller (0 cut / 1 restored)', valueType: 'KG' },
  '1010': { name: '主要通风机', english: 'main fan', valueType: 'KG' },
  '1011': { name: '馈电器', english: 'feeder (0 no voltage on load side / 1 voltage)', valueType: 'KG' },
  '1012': { name: '声光报警器', english: 'audible/visual alarm', valueType: 'KG' },
  '1015': { name: '馈电', english: 'feed status', valueType: 'KG' },
  '4001': { name: '分站', english: 'substation state', valueType: 'DT' },
  '4002': { name: '电源', english: 'power supply state', valueType: 'DT' },
});

/** The file name of a sensor type code; throws TypeError for a code not in the table. */
export function sensorTypeName(code: string): string {
  const info = SENSOR_TYPES[code];
  if (info === undefined) throw new TypeError(`unknown MT/T 1201 sensor type code ${JSON.stringify(code)}`);
  return info.name;
}

/** 出入井标志 of RYSS: 0 at the shaft mouth, 1 underground, 2 out of the mine. */
export const IN_OUT_FLAG = { atShaftMouth: '0', underground: '1', out: '2' } as const;
export type InOutFlag = (typeof IN_OUT_FLAG)[keyof typeof IN_OUT_FLAG];

/** 区域类型 of RYQY. */
export const AREA_TYPES = ['井口区域', '重点区域', '限制区域', '其它区域'] as const;
export type AreaType = (typeof AREA_TYPES)[number];

/** 人员工作状态 of RYSS. */
export const WORK_STATES = ['正常', '求救'] as const;
export type WorkState = (typeof WORK_STATES)[number];

/** 传感器关联关系 codes (dict B.7). */
export const RELATION_CODES = {
  B: '闭锁',
  G: '关联风门',
  K: '控制',
  H: '保护',
  Z: '主备',
  D: '断电',
  T: '调节',
} as const;
