// RYJZ 基站定义 (positioning reader stations; 6 fields, domain.md §5.3 [S] S16). No data-time field.
import { COORDINATE_DECIMALS, STATION_CODE } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, text } from '../record-type.js';

export interface RyjzRecord {
  /** 22 digits: area code + 6. */
  stationCode: string;
  name: string;
  x: number | null;
  y: number | null;
  z: number | null;
  /** 位置注释 */
  locationNote: string | null;
}

const xyz = (name: string) => decimal(name, COORDINATE_DECIMALS);

export const RYJZ = defineRecordType<RyjzRecord>({
  type: 'RYJZ',
  title: '基站定义',
  system: 'rydw',
  header: DATA_HEADER,
  columns: [
    text('基站编码', { required: true, pattern: STATION_CODE }),
    text('基站名称', { required: true }),
    xyz('X'),
    xyz('Y'),
    xyz('Z'),
    text('位置注释'),
  ],
  values: (r) => [r.stationCode, r.name, r.x, r.y, r.z, r.locationNote],
});
