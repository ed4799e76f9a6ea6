// Registry of record types. Adding a type = one file in this folder + one line here (and the
// type name in Mt1201Type).
import type { Mt1201Type, RecordTypeDef } from '../record-type.js';
import { CDDY } from './cddy.js';
import { CDSS } from './cdss.js';
import { FZDY } from './fzdy.js';
import { FZSS } from './fzss.js';
import { JZSS } from './jzss.js';
import { RYCS } from './rycs.js';
import { RYCY } from './rycy.js';
import { RYJZ } from './ryjz.js';
import { RYQJ } from './ryqj.js';
import { RYQY } from './ryqy.js';
import { RYSS } from './ryss.js';
import { RYXX } from './ryxx.js';
import { RYXZ } from './ryxz.js';
import { TJSJ } from './tjsj.js';
import { YCBJ } from './ycbj.js';

// `any`: each entry has its own record type; callers pick the typed export (CDSS, RYSS, …) to get checking.
export const RECORD_TYPES: Readonly<Record<Mt1201Type, RecordTypeDef<any>>> = Object.freeze({
  CDDY,
  CDSS,
  YCBJ,
  FZDY,
  FZSS,
  TJSJ,
  RYQY,
  RYJZ,
  RYXX,
  RYSS,
  JZSS,
  RYCS,
  RYCY,
  RYXZ,
  RYQJ,
});

export const MT1201_TYPES = Object.keys(RECORD_TYPES) as Mt1201Type[];

export function isMt1201Type(value: unknown): value is Mt1201Type {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RECORD_TYPES, value);
}

export type { CddyRecord } from './cddy.js';
export type { CdssRecord } from './cdss.js';
export type { FzdyRecord } from './fzdy.js';
export type { FzssRecord } from './fzss.js';
export type { JzssRecord } from './jzss.js';
export type { RycsRecord } from './rycs.js';
export type { RycyRecord } from './rycy.js';
export type { RyjzRecord } from './ryjz.js';
export type { RyqjRecord } from './ryqj.js';
export type { RyqyRecord } from './ryqy.js';
export type { RyssRecord } from './ryss.js';
export type { RyxxRecord } from './ryxx.js';
export type { RyxzRecord } from './ryxz.js';
export type { TjsjRecord, StatsWindowLike } from './tjsj.js';
export { tjsjFromWindow } from './tjsj.js';
export type { YcbjRecord } from './ycbj.js';
export { CDDY, CDSS, FZDY, FZSS, JZSS, RYCS, RYCY, RYJZ, RYQJ, RYQY, RYSS, RYXX, RYXZ, TJSJ, YCBJ };
