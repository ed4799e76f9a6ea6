// The live status screen of `npm start` / `minegate run`: what a technician checks first.
import type { GatewayStatus } from './gateway-status.js';
import { renderTable } from './text-table.js';
import { describeCapacity } from './store/reading-retention.js';
import { describeClassCapacity } from './store/retention-classes.js';

export interface StatusSection {
  title: string;
  body: string;
}

function formatValue(value: number | null): string {
  if (value === null) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

function describeAlarm(a: GatewayStatus['alarms'][number]): string {
  const value = a.value !== undefined && a.value !== null ? ` value ${a.value}` : '';
  const limit = a.threshold !== undefined ? ` limit ${a.threshold}` : '';
  return `[${a.severity}] ${a.kind}${a.point ? ` ${a.point}` : ''}${value}${limit}: ${a.message} (${a.clause})`;
}

/** Whether the interlocks are running, in one line a technician reads first (README "Safety kernel"). */
export function describeKernel(k: GatewayStatus['kernel'] | undefined): string {
  if (!k) return 'safety kernel: unknown';
  if (!k.alive) return 'safety kernel: NOT RUNNING (no interlock acts; only a relay-module watchdog can drop power)';
  // JSON turns Infinity into null: no cycle seen yet.
  const age = k.lastCycleAgeMs === null || !Number.isFinite(k.lastCycleAgeMs) ? 'no cycle yet' : `last cycle ${Math.round(k.lastCycleAgeMs)} ms ago`;
  const late = typeof k.lastCycleAgeMs === 'number' && k.lastCycleAgeMs > kernelStaleAfterMs ? ' (LATE: not heard from)' : '';
  const dropped = k.dropped.readings + k.dropped.logs;
  return `safety kernel: running${k.pid !== null ? ` (pid ${k.pid})` : ''}, ${age}${late}, ${k.cycles} cycles, longest stall ${Math.round(k.maxStallMs)} ms${dropped > 0 ? `, ${dropped} routine copies dropped` : ''}`;
}

/** A kernel not heard from for this long is reported late (it sends its state every 200 ms). */
export const kernelStaleAfterMs = 2_000;

export function renderStatus(status: GatewayStatus, extra: readonly StatusSection[] = []): string {
  const deviceState = new Map(status.devices.map((d) => [d.id, d.state]));
  const points = renderTable(
    [{ header: 'point' }, { header: 'location' }, { header: 'value', right: true }, { header: 'unit' }, { header: 'quality' }, { header: 'age', right: true }, { header: 'device' }],
    status.points.map((p) => [p.code, p.name, formatValue(p.value), p.unit, p.quality, formatAge(p.ageMs), `${p.device} (${deviceState.get(p.device) ?? 'unknown'})`]),
  );
  const devices = renderTable(
    [{ header: 'device' }, { header: 'bus' }, { header: 'unit', right: true }, { header: 'state' }, { header: 'polls', right: true }, { header: 'fails', right: true }, { header: 'latency', right: true }, { header: 'last error' }],
    status.devices.map((d) => [d.id, d.bus, String(d.unit), d.state, String(d.polls), String(d.failures), d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs.toFixed(1)}ms`, d.lastError ?? '']),
  );
  const s = status.store;
  const store =
    `store: ${s.written} readings written, ${s.queued} queued, ${s.dropped} dropped${s.failures ? `, ${s.failures} write failures` : ''}` +
    (s.capacity ? `\n  ${describeCapacity(s.capacity)}` : '') +
    (s.classes ?? []).map((c) => `\n  ${describeClassCapacity(c)}`).join('') +
    // Only when it matters: a log that loses lines (full or failing disk) is worth a technician's look.
    (status.log?.dropped || status.log?.lastError ? `\nlog: ${status.log.dropped} line(s) dropped${status.log.lastError ? `, writes failing (${status.log.lastError})` : ''}` : '');
  const outputs = renderTable(
    [{ header: 'output' }, { header: 'kind' }, { header: 'state' }, { header: 'confirmed' }, { header: 'held by' }],
    status.outputs.map((o) => [o.id, o.kind, o.energize ? 'ON' : 'OFF (cut)', o.confirmed === null ? 'pending' : o.confirmed ? 'yes' : `NO ${o.error ?? ''}`.trim(), o.holds.join(', ')]),
  );
  const alarms = status.alarms.length === 0 ? 'alarms: none' : `alarms:\n${status.alarms.map((a) => `  ${describeAlarm(a)}`).join('\n')}`;
  const sections = [points, '', devices, '', describeKernel(status.kernel), outputs, '', alarms, '', store];
  return [...sections, ...extra.flatMap((x) => ['', x.title, x.body])].join('\n');
}
