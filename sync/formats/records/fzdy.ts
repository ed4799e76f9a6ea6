// FZDY 分站定义 (domain.md §5.2: 分站编码;安装位置;X;Y;Z;数据时间 is an *observed subset* [S] S17;
// the full field list was not available). Header: the 3-field data header, since only CDDY and
// RYXX are documented with an extended one.
import { COORDINATE_DECIMALS, SUBSTATION_CODE } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, text, time } from '../record-type.js';

export interface FzdyRecord {
  substationCode: string;
  location: string;
  x: number | null;
  y: number | null;
  z: number | null;
  /** ms epoch */
  dataTime: number;
}

const xyz = (name: string) => decimal(name, COORDINATE_DECIMALS);

export const FZDY = defineRecordType<FzdyRecord>({
  type: 'FZDY',
  title: '分站定义',
  system: 'aqjk',
  header: DATA_HEADER,
  columns: [
    text('分站编码', { required: true, pattern: SUBSTATION_CODE }),
    text('安装位置', { required: true }),
    xyz('X'),
    xyz('Y'),
    xyz('Z'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.substationCode, r.location, r.x, r.y, r.z, r.dataTime],
});
