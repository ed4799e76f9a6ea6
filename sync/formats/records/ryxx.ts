// RYXX 人员信息 (9 fields, domain.md §5.3 [S] S16). Definition file with the 8-field header
// 煤矿编码;矿井名称;核定下井人数;系统型号;系统名称;厂家名称;安标有效期;数据上传时间.
import { CARD_CODE, YES_NO } from '../patterns.js';
import { defineRecordType, oneOf, text } from '../record-type.js';

export interface RyxxRecord {
  /** 17 digits: mine code + 5. */
  cardCode: string;
  name: string;
  /** 工种 */
  trade: string | null;
  /** 职务 */
  position: string | null;
  /** 队组/部门 */
  team: string | null;
  /** 出生年月, as the mine's HR system writes it (e.g. 1985-06). */
  birth: string | null;
  /** 学历 */
  education: string | null;
  isMineLeader: boolean;
  isSpecialWorker: boolean;
}

export const RYXX = defineRecordType<RyxxRecord>({
  type: 'RYXX',
  title: '人员信息',
  system: 'rydw',
  header: { kind: 'definition', extra: ['核定下井人数', '系统型号', '系统名称', '厂家名称', '安标有效期'] },
  columns: [
    text('人员卡编码', { required: true, pattern: CARD_CODE }),
    text('姓名', { required: true }),
    text('工种'),
    text('职务'),
    text('队组/部门'),
    text('出生年月'),
    text('学历'),
    oneOf('是否矿领导', YES_NO, { required: true }),
    oneOf('是否特种人员', YES_NO, { required: true }),
  ],
  values: (r) => [
    r.cardCode, r.name, r.trade, r.position, r.team, r.birth, r.education,
    r.isMineLeader ? '1' : '0', r.isSpecialWorker ? '1' : '0',
  ],
});
