// Durations and times as a technician types them: "2h", "90s", "1h30m", "500ms", "1d";
// --since also takes a date or date-time ("2026-01-10", "2026-01-10T08:00").
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

/** Wall ms for --since: a duration back from `now`, or a date / date-time. */
export function parseSince(text: string, now: number): number {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)/i.test(text.trim())) return now - parseDuration(text);
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new RangeError(`--since "${text}" is neither a duration back from now (2h, 30m) nor a date (2026-01-10, 2026-01-10T08:00)`);
  return t;
}

/** "2026-01-10 08:00:01" in local time: what a technician compares with the clock on the wall. */
export function formatWall(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m > 0 ? `${m}m` : ''}` : `${m}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
}
