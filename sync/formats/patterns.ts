// Code shapes shared by several record types (domain.md §5.1, §5.3) and minegate's own codes
// (board-configs/schema.ts). Anchored: a match is the whole field.

export const MINE_CODE = /^\d{12}$/;
/** 区域编码: mine code + 4 digits. */
export const AREA_CODE = /^\d{16}$/;
/** 基站编码: area code + 6 digits. */
export const STATION_CODE = /^\d{22}$/;
/** 人员卡编码: mine code + 5 digits. */
export const CARD_CODE = /^\d{17}$/;
/** 测点编码 as configured in minegate (board-configs/schema.ts PointSchema.code). */
export const POINT_CODE = /^[A-Za-z0-9_-]{1,32}$/;
/** 分站编码 as configured in minegate (board-configs/schema.ts substation.code). */
export const SUBSTATION_CODE = /^[A-Za-z0-9]{1,16}$/;
/** 传感器类型 code, e.g. 0001. */
export const SENSOR_TYPE_CODE = /^\d{4}$/;
/** 异常类型 code, e.g. 003. */
export const ABNORMALITY_CODE = /^\d{3}$/;
/** 0/1 flags such as 是否矿领导. */
export const YES_NO = ['0', '1'] as const;

/**
 * Decimal places we write (our convention; the spec gives none): measured values, thresholds,
 * ranges and statistics with 2 (sensors resolve 0.01 %CH4 at best); coordinates and distances
 * with 2 (centimetres).
 */
export const VALUE_DECIMALS = 2;
export const COORDINATE_DECIMALS = 2;
