// What upstream needs to know about each configured point, derived once from the config: the
// MT/T 1201 sensor type name, whether the point is analog (numbers, 5-minute statistics) or a
// switch / multi-state point (state text), and its descriptive fields.
import { SENSOR_TYPES, type ValueType } from '../../core/mt1201-codes.js';

export interface UpstreamPoint {
  code: string;
  /** 传感器类型名称; the code itself when the type is not in our table (config check warns). */
  typeName: string;
  valueType: ValueType;
  location: string;
  unit: string;
}

/** The config fields this needs (board-configs/schema.ts PointConfig fits). */
export interface PointConfigLike {
  code: string;
  sensorType: string;
  location: string;
  unit: string;
}

export function upstreamPoints(points: readonly PointConfigLike[]): Map<string, UpstreamPoint> {
  const out = new Map<string, UpstreamPoint>();
  for (const p of points) {
    const info = SENSOR_TYPES[p.sensorType];
    out.set(p.code, {
      code: p.code,
      typeName: info?.name ?? p.sensorType,
      // Unknown codes are treated as analog: a number is never mis-sent as a state.
      valueType: info?.valueType ?? 'MN',
      location: p.location,
      unit: p.unit,
    });
  }
  return out;
}
