// Durations and times as a technician types them: "2h", "90s", "1h30m", "500ms", "1d";
// --since also takes a date or date-time ("2026-01-10", "2026-01-10T08:00").
// Every time shown or parsed here is mine time (+08:00), never the host's zone.
import { formatTimeZoned, MINE_TZ_OFFSET_MINUTES, zoneText } from '../../core/mine-time.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Milliseconds of a duration like "2h" or "1h30m"; throws RangeError naming the text. */
export function parseDuration(text: string): number {
  const s = typeof text === 'string' ? text.trim().toLowerCase() : '';
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (s === '' || matched !== s.length || !(total > 0)) {
    throw new RangeError(`"${text}" is not a duration: use e.g. 90s, 30m, 2h, 1h30m or 1d`);
  }
  return Math.round(total);
}

// A date or date-time as typed: 2026-01-10, 2026-01-10T08:00, 2026-01-10 08:00:30, optionally with
// an explicit zone (Z, +08:00, +0800). Without a zone it is mine time, never the host's zone: the
// gateway box usually runs on UTC while every time it prints is mine time (issue 14, "one time rule").
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Wall ms of a date / date-time in mine time (or in the zone it names); NaN when it is not one. */
export function parseMineTime(text: string, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): number {
  const m = DATE_TIME.exec(text.trim());
  if (m === null) return Number.NaN;
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v))) as number[];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  let offset = tzOffsetMinutes;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offset = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  } else if (zone !== undefined) offset = 0;
  const local = Date.UTC(y!, mo! - 1, d!, h, mi, se, ms);
  const back = new Date(local);
  // Date.UTC rolls 02-30 into March and 24:00 into the next day: not a calendar time.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== se) return Number.NaN;
  return local - offset * 60_000;
}

/** Wall ms for --since / --from / --to: a duration back from `now`, or a date / date-time in mine time. */
export function parseSince(text: string, now: number): number {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)/i.test(text.trim())) return now - parseDuration(text);
  const t = parseMineTime(text);
  if (!Number.isFinite(t)) throw new RangeError(`"${text}" is neither a duration back from now (2h, 30m) nor a date in mine time (2026-01-10, 2026-01-10T08:00, ${zoneText()} unless a zone is given: 2026-01-10T00:00Z)`);
  return t;
}

/** "2026-01-10 08:00:01+08:00": mine time with its zone, whatever the host's TZ (usually UTC on the box). */
export function formatWall(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return formatTimeZoned(ms);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m > 0 ? `${m}m` : ''}` : `${m}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
}
