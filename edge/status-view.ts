// The live status screen of `npm start` / `minegate run`: what a technician checks first.
import type { GatewayStatus } from './gateway.js';
import { renderTable } from './text-table.js';
import { describeCapacity } from './store/reading-retention.js';

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
    // Only when it matters: a log that loses lines (full or failing disk) is worth a technician's look.
    (status.log?.dropped || status.log?.lastError ? `\nlog: ${status.log.dropped} line(s) dropped${status.log.lastError ? `, writes failing (${status.log.lastError})` : ''}` : '');
  const outputs = renderTable(
    [{ header: 'output' }, { header: 'kind' }, { header: 'state' }, { header: 'confirmed' }, { header: 'held by' }],
    status.outputs.map((o) => [o.id, o.kind, o.energize ? 'ON' : 'OFF (cut)', o.confirmed === null ? 'pending' : o.confirmed ? 'yes' : `NO ${o.error ?? ''}`.trim(), o.holds.join(', ')]),
  );
  const alarms = status.alarms.length === 0 ? 'alarms: none' : `alarms:\n${status.alarms.map((a) => `  ${describeAlarm(a)}`).join('\n')}`;
  const sections = [points, '', devices, '', outputs, '', alarms, '', store];
  return [...sections, ...extra.flatMap((x) => ['', x.title, x.body])].join('\n');
}
