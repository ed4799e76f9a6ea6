// CDSS 测点实时数据: one record per point per snapshot (7 fields, domain.md §5.2 [S] S17 + S18 agree).
import { MAX_POINT_STATUS } from '../../../core/mt1201-codes.js';
import { POINT_CODE, VALUE_DECIMALS } from '../patterns.js';
import { DATA_HEADER, defineRecordType, integer, measured, text, time } from '../record-type.js';

export interface CdssRecord {
  pointCode: string;
  /** 传感器类型名称, e.g. 环境瓦斯 (codes.ts sensorTypeName). */
  sensorTypeName: string;
  location: string;
  /**
   * 监测值: a number for analog/cumulative points (written with 2 decimals), or the state text of a
   * switch/multi-state point (e.g. "1"); null when nothing usable was acquired — the status says why.
   */
  value: number | string | null;
  unit: string;
  /** 测点状态 bits (codes.ts pointStatus / statusFromReading). */
  status: number;
  /** ms epoch */
  dataTime: number;
}

export const CDSS = defineRecordType<CdssRecord>({
  type: 'CDSS',
  title: '测点实时数据',
  system: 'aqjk',
  header: DATA_HEADER,
  columns: [
    text('测点编码', { required: true, pattern: POINT_CODE }),
    text('传感器类型名称', { required: true }),
    text('安装位置', { required: true }),
    measured('监测值', VALUE_DECIMALS),
    text('单位'),
    integer('测点状态', { required: true, min: 0, max: MAX_POINT_STATUS }),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.pointCode, r.sensorTypeName, r.location, r.value, r.unit, r.status, r.dataTime],
});
