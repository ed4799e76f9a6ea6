// The live screen of `minegate run` / `demo` on a terminal: safety first, sized to the terminal.
// Order: alarms, outputs with what holds them, points — these always come first and in full while
// they fit — then one line for the devices (only the ones not online by name), one for the store,
// and each capability section condensed to its first lines. Lines wider than the terminal are cut
// (CJK counted as two columns); when the screen is too short, the last line says how many lines
// were left out and where to see everything (`minegate status`).
import type { GatewayStatus } from './gateway.js';
import type { StatusSection } from './status-view.js';
import { displayWidth, renderTable } from './text-table.js';

export interface ScreenSize {
  rows: number;
  columns: number;
}

export const LIVE_SCREEN_DEFAULTS = {
  /** Lines kept of each capability section (people, seals, upstream …). */
  sectionLines: 3,
  /** The header the run loop prints above the screen (time, substation, blank line). */
  headerLines: 2,
} as const;

function value(v: number | null): string {
  if (v === null) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function age(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

/** Cut a line to `columns` display columns. */
export function clip(line: string, columns: number): string {
  if (displayWidth(line) <= columns) return line;
  let out = '';
  for (const ch of line) {
    if (displayWidth(out + ch) > columns - 1) break;
    out += ch;
  }
  return `${out}…`;
}

export function renderLiveScreen(status: GatewayStatus, sections: readonly StatusSection[], size: ScreenSize): string {
  const lines: string[] = [];
  if (status.alarms.length === 0) lines.push('ALARMS: none');
  else {
    lines.push(`ALARMS (${status.alarms.length}):`);
    for (const a of status.alarms) lines.push(`  [${a.severity}] ${a.point ?? a.kind}${a.value !== undefined && a.value !== null ? ` ${a.value}` : ''}: ${a.message}`);
  }
  lines.push(
    ...renderTable(
      [{ header: 'output' }, { header: 'state' }, { header: 'confirmed' }, { header: 'held by' }],
      status.outputs.map((o) => [o.id, o.energize ? 'ON' : 'OFF (cut)', o.confirmed === null ? 'pending' : o.confirmed ? 'yes' : `NO ${o.error ?? ''}`.trim(), o.holds.join(', ')]),
    ).split('\n'),
  );
  lines.push(
    ...renderTable(
      [{ header: 'point' }, { header: 'location' }, { header: 'value', right: true }, { header: 'unit' }, { header: 'quality' }, { header: 'age', right: true }],
      status.points.map((p) => [p.code, p.name, value(p.value), p.unit, p.quality, age(p.ageMs)]),
    ).split('\n'),
  );
  const down = status.devices.filter((d) => d.state !== 'online');
  lines.push(`devices: ${status.devices.length - down.length}/${status.devices.length} online${down.length ? `; ${down.map((d) => `${d.id} ${d.state}`).join(', ')}` : ''}`);
  const s = status.store;
  lines.push(`store: ${s.written} written, ${s.queued} queued, ${s.dropped} dropped${s.failures ? `, ${s.failures} write failures` : ''}`);
  for (const x of sections) {
    const body = x.body.split('\n').filter((l) => l.trim() !== '');
    const kept = body.slice(0, LIVE_SCREEN_DEFAULTS.sectionLines);
    lines.push(`${x.title}: ${kept[0]?.trim() ?? ''}`, ...kept.slice(1).map((l) => `  ${l.trim()}`));
    if (body.length > kept.length) lines.push(`  … ${body.length - kept.length} more (minegate status)`);
  }
  const room = Math.max(1, size.rows - LIVE_SCREEN_DEFAULTS.headerLines - 1);
  let shown = lines;
  if (lines.length > room) {
    shown = lines.slice(0, room - 1);
    shown.push(`… ${lines.length - shown.length} more lines: minegate status shows everything`);
  }
  return shown.map((l) => clip(l, size.columns)).join('\n');
}
