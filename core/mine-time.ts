// Times in MT/T 1201 files are local mine time (China: UTC+08:00, no daylight saving), written
// without a zone. The gateway's own TZ setting must never leak into a file, so every conversion
// here takes an explicit offset and uses only UTC arithmetic.
import { FormatError } from './format-error.js';

/** Beijing time, the clock of every Chinese coal mine. */
export const MINE_TZ_OFFSET_MINUTES = 480;

const MS_PER_MINUTE = 60_000;
const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const STAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** Throws TypeError unless the offset is a whole number of minutes within the real-world range. */
export function checkTzOffset(tzOffsetMinutes: number): number {
  if (!Number.isInteger(tzOffsetMinutes) || tzOffsetMinutes < -720 || tzOffsetMinutes > 840) {
    throw new TypeError(`tzOffsetMinutes must be an integer between -720 and 840, got ${String(tzOffsetMinutes)}`);
  }
  return tzOffsetMinutes;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function toParts(ms: number, tzOffsetMinutes: number): Parts {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new FormatError('bad-time', `time must be a finite ms epoch, got ${String(ms)}`);
  }
  checkTzOffset(tzOffsetMinutes);
  // Files carry whole seconds; an instant belongs to the second it falls in (truncate, never round up).
  const d = new Date(Math.floor(ms / 1000) * 1000 + tzOffsetMinutes * MS_PER_MINUTE);
  const year = d.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) {
    throw new FormatError('bad-time', `time ${ms} is outside the 4-digit years a file can carry`);
  }
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` in mine time (default +08:00, whatever the host's TZ). */
export function formatTime(ms: number, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  const t = toParts(ms, tzOffsetMinutes);
  return `${t.year}-${p2(t.month)}-${p2(t.day)} ${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`;
}

/** `+08:00` for 480: the zone printed after a mine time shown to a person. */
export function zoneText(tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  const m = Math.abs(checkTzOffset(tzOffsetMinutes));
  return `${tzOffsetMinutes < 0 ? '-' : '+'}${p2(Math.floor(m / 60))}:${p2(m % 60)}`;
}

/** `yyyy-MM-dd HH:mm:ss+08:00`: mine time with its zone, for screens and command output (files stay zone-less). */
export function formatTimeZoned(ms: number, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  return `${formatTime(ms, tzOffsetMinutes)}${zoneText(tzOffsetMinutes)}`;
}

/** `yyyyMMddHHmmss` in mine time, as used in file names. */
export function formatStamp(ms: number, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  const t = toParts(ms, tzOffsetMinutes);
  return `${t.year}${p2(t.month)}${p2(t.day)}${p2(t.hour)}${p2(t.minute)}${p2(t.second)}`;
}

function fromMatch(m: RegExpExecArray | null, text: string, tzOffsetMinutes: number): number {
  checkTzOffset(tzOffsetMinutes);
  if (m === null) throw new FormatError('bad-time', `"${text}" is not a valid time`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(local);
  // Date.UTC silently rolls 02-30 into March and 24:00 into the next day: reject instead.
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    throw new FormatError('bad-time', `"${text}" is not a calendar time`);
  }
  return local - tzOffsetMinutes * MS_PER_MINUTE;
}

/** Parses `yyyy-MM-dd HH:mm:ss` (mine time) to a ms epoch; strict about format and calendar. */
export function parseTime(text: string, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): number {
  return fromMatch(TIME_PATTERN.exec(text), text, tzOffsetMinutes);
}

/** Parses `yyyyMMddHHmmss` (mine time) to a ms epoch; strict about format and calendar. */
export function parseStamp(text: string, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): number {
  return fromMatch(STAMP_PATTERN.exec(text), text, tzOffsetMinutes);
}
