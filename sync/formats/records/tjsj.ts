// TJSJ 统计数据: 5-minute statistics per analog point (12 fields, domain.md §5.2 [S] S17).
// AQ 6201-2019 requires these to be kept ≥ 1 year (domain.md §1.1).
import { POINT_CODE, VALUE_DECIMALS } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, text, time } from '../record-type.js';

export interface TjsjRecord {
  pointCode: string;
  typeName: string;
  location: string;
  unit: string;
  /** Window start, ms epoch (aligned to :00, :05, … mine time). */
  startTime: number;
  /** Window end, ms epoch: the exclusive end, i.e. start + 5 min (08:00:00 → 08:05:00). */
  endTime: number;
  /** null when the window had no usable reading. */
  maxValue: number | null;
  maxTime: number | null;
  minValue: number | null;
  minTime: number | null;
  averageValue: number | null;
  /** ms epoch */
  dataTime: number;
}

const v = (name: string) => decimal(name, VALUE_DECIMALS);

export const TJSJ = defineRecordType<TjsjRecord>({
  type: 'TJSJ',
  title: '统计数据',
  system: 'aqjk',
  header: DATA_HEADER,
  columns: [
    text('测点编码', { required: true, pattern: POINT_CODE }),
    text('类型名称', { required: true }),
    text('安装位置', { required: true }),
    text('单位'),
    time('开始时间', { required: true }),
    time('结束时间', { required: true }),
    v('最大值'),
    time('最大值时刻'),
    v('最小值'),
    time('最小值时刻'),
    v('平均值'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [
    r.pointCode, r.typeName, r.location, r.unit, r.startTime, r.endTime,
    r.maxValue, r.maxTime, r.minValue, r.minTime, r.averageValue, r.dataTime,
  ],
});

/** The parts of a closed statistics window TJSJ needs (edge/five-minute-stats.ts FiveMinuteWindow fits). */
export interface StatsWindowLike {
  point: string;
  start: number;
  end: number;
  max: number | null;
  maxTime: number | null;
  min: number | null;
  minTime: number | null;
  average: number | null;
}

/** Builds a TJSJ record from a closed window plus the point's descriptive fields. Data time defaults to the window end. */
export function tjsjFromWindow(
  window: StatsWindowLike,
  point: { typeName: string; location: string; unit: string },
  dataTime: number = window.end,
): TjsjRecord {
  return {
    pointCode: window.point,
    typeName: point.typeName,
    location: point.location,
    unit: point.unit,
    startTime: window.start,
    endTime: window.end,
    maxValue: window.max,
    maxTime: window.maxTime,
    minValue: window.min,
    minTime: window.minTime,
    averageValue: window.average,
    dataTime,
  };
}
