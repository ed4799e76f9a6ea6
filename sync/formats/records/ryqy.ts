// RYQY 区域定义 (positioning areas; 4 fields, domain.md §5.3 [S] S16). No data-time field.
import { AREA_TYPES, type AreaType } from '../../../core/mt1201-codes.js';
import { AREA_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, integer, oneOf, text } from '../record-type.js';

export interface RyqyRecord {
  areaType: AreaType;
  /** 16 digits: mine code + 4. */
  areaCode: string;
  /** 核定人数: rated headcount of the area. */
  ratedCount: number | null;
  areaName: string;
}

export const RYQY = defineRecordType<RyqyRecord>({
  type: 'RYQY',
  title: '区域定义',
  system: 'rydw',
  header: DATA_HEADER,
  columns: [
    oneOf('区域类型', AREA_TYPES, { required: true }),
    text('区域编码', { required: true, pattern: AREA_CODE }),
    integer('核定人数', { min: 0 }),
    text('区域名称', { required: true }),
  ],
  values: (r) => [r.areaType, r.areaCode, r.ratedCount, r.areaName],
});
