// CDDY 测点定义: one record per monitored point (24 fields, domain.md §5.2 [S] S17 + S18 agree).
// Definition file: extended header 系统型号;系统名称;生产厂家;安标有效期 (observed).
import { SYSTEM_CODES, VALUE_TYPE_CODES, type SystemCode, type ValueType } from '../../../core/mt1201-codes.js';
import { COORDINATE_DECIMALS, POINT_CODE, SENSOR_TYPE_CODE, SUBSTATION_CODE, VALUE_DECIMALS } from '../patterns.js';
import { decimal, defineRecordType, oneOf, text, time } from '../record-type.js';

export interface CddyRecord {
  pointCode: string;
  systemCode: SystemCode;
  substationCode: string;
  sensorTypeCode: string;
  valueType: ValueType;
  unit: string;
  rangeHigh: number | null;
  rangeLow: number | null;
  upperAlarm: number | null;
  upperAlarmClear: number | null;
  lowerAlarm: number | null;
  lowerAlarmClear: number | null;
  upperCutOff: number | null;
  upperRestore: number | null;
  lowerCutOff: number | null;
  lowerRestore: number | null;
  /** 开描述: text for state 1 of a switch point, e.g. 开. */
  onDescription: string | null;
  /** 停描述: text for state 0 of a switch point, e.g. 停. */
  offDescription: string | null;
  location: string;
  x: number | null;
  y: number | null;
  z: number | null;
  /** 传感器关联关系: `<code>-<point>-<name>:<code>-<point>` groups joined by ◇. */
  relations: string | null;
  /** ms epoch */
  dataTime: number;
}

const v = (name: string) => decimal(name, VALUE_DECIMALS);
const xyz = (name: string) => decimal(name, COORDINATE_DECIMALS);

export const CDDY = defineRecordType<CddyRecord>({
  type: 'CDDY',
  title: '测点定义',
  system: 'aqjk',
  header: { kind: 'definition', extra: ['系统型号', '系统名称', '生产厂家', '安标有效期'] },
  columns: [
    text('测点编码', { required: true, pattern: POINT_CODE }),
    oneOf('系统编码', Object.values(SYSTEM_CODES), { required: true }),
    text('分站编码', { required: true, pattern: SUBSTATION_CODE }),
    text('传感器类型', { required: true, pattern: SENSOR_TYPE_CODE }),
    oneOf('数值类型', VALUE_TYPE_CODES, { required: true }),
    text('单位'),
    v('高量程'),
    v('低量程'),
    v('上限报警'),
    v('上限解报'),
    v('下限报警'),
    v('下限解报'),
    v('上限断电'),
    v('上限复电'),
    v('下限断电'),
    v('下限复电'),
    text('开描述'),
    text('停描述'),
    text('安装位置', { required: true }),
    xyz('X'),
    xyz('Y'),
    xyz('Z'),
    text('传感器关联关系'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [
    r.pointCode, r.systemCode, r.substationCode, r.sensorTypeCode, r.valueType, r.unit,
    r.rangeHigh, r.rangeLow, r.upperAlarm, r.upperAlarmClear, r.lowerAlarm, r.lowerAlarmClear,
    r.upperCutOff, r.upperRestore, r.lowerCutOff, r.lowerRestore,
    r.onDescription, r.offDescription, r.location, r.x, r.y, r.z, r.relations, r.dataTime,
  ],
});
