// The "people" section of `status` and its JSON: headcounts against the rated ones, areas and
// stations, the open personnel alarms, the evacuation with its 叫应 state, recent events, pages.
import { formatTimeZoned } from '../../core/mine-time.js';
import { renderTable } from '../text-table.js';
import type { PersonnelAlarm } from './alarms.js';
import type { EvacuationView, PersonnelEngine } from './engine.js';
import type { PersonnelEvent } from './events.js';

export interface PersonnelStatusJson {
  underground: number;
  atShaftMouth: number;
  ratedUnderground: number;
  areas: { id: string; name: string; type: string; count: number; rated: number | null }[];
  stations: { reader: number; code: string; area: string; state: string; power: string; via: 'line' | 'fifo' | 'none' }[];
  line: { description: string; open: boolean } | null;
  alarms: PersonnelAlarm[];
  evacuation: EvacuationView | null;
  recentEvents: PersonnelEvent[];
  pages: { sent: number; delivered: number; failed: number; notPageable: number };
}

/** What the status reads besides the engine: the readers and the recent events. */
export interface PersonnelStatusInputs {
  line: { description: string; open: boolean } | null;
  viaOf(reader: number): 'line' | 'fifo' | 'none';
  pages: PersonnelStatusJson['pages'];
  recentEvents: readonly PersonnelEvent[];
}

export function personnelStatusJson(engine: PersonnelEngine, inputs: PersonnelStatusInputs): PersonnelStatusJson {
  const plan = engine.plan;
  const head = engine.headcount();
  return {
    underground: head.underground,
    atShaftMouth: head.atShaftMouth,
    ratedUnderground: plan.config.ratedUnderground,
    areas: [...plan.areas.values()].map((a) => ({ id: a.id, name: a.name, type: a.type, count: head.byArea[a.id] ?? 0, rated: a.ratedCount ?? null })),
    stations: engine.stations().map((s) => ({ reader: s.reader, code: s.code, area: s.area, state: s.state, power: s.power, via: inputs.viaOf(s.reader) })),
    line: inputs.line,
    alarms: engine.alarms(),
    evacuation: engine.evacuation(),
    recentEvents: [...inputs.recentEvents],
    pages: { ...inputs.pages },
  };
}

export function renderPeople(engine: PersonnelEngine, line: { description: string; open: boolean } | null): string {
  const plan = engine.plan;
  const head = engine.headcount();
  const stations = engine.stations();
  const online = stations.filter((s) => s.state === 'online').length;
  const lineText = line ? `; reader line ${line.description} ${line.open ? 'open' : 'DOWN'}` : '';
  const lines = [
    `underground ${head.underground} / rated ${plan.config.ratedUnderground}; at the shaft mouth ${head.atShaftMouth}; stations online ${online}/${stations.length}${lineText}`,
    '',
    renderTable(
      [{ header: 'area' }, { header: 'name' }, { header: 'type' }, { header: 'people', right: true }, { header: 'rated', right: true }, { header: 'stations' }],
      [...plan.areas.values()].map((a) => {
        const own = stations.filter((s) => s.area === a.id);
        const down = own.filter((s) => s.state !== 'online').map((s) => `${s.reader} ${s.state}`);
        const count = head.byArea[a.id] ?? 0;
        const rated = a.ratedCount;
        return [a.id, a.name, a.type, `${count}${rated !== undefined && count > rated ? ' OVER' : ''}`, rated === undefined ? '—' : String(rated), down.length ? down.join(', ') : `${own.length} online`];
      }),
    ),
  ];
  const alarms = engine.alarms();
  lines.push('', alarms.length === 0 ? 'personnel alarms: none' : `personnel alarms: ${alarms.length}`);
  for (const a of alarms.sort((x, y) => x.startWall - y.startWall)) lines.push(`  ! [${a.severity}] ${a.kind} since ${formatTimeZoned(a.startWall)}: ${a.message}`);
  lines.push('', ...renderEvacuation(engine.evacuation()));
  return lines.join('\n');
}

function renderEvacuation(evac: EvacuationView | null): string[] {
  if (!evac) return ['evacuation: none'];
  const state = evac.complete ? `COMPLETE at ${evac.completeWall === null ? '?' : formatTimeZoned(evac.completeWall)} (sirens stay on until stood down)` : `${evac.insideCount} still inside`;
  const out = [`EVACUATION ${evac.id} since ${formatTimeZoned(evac.startedWall)}: ${state}; outputs on: ${evac.outputs.join(', ') || 'none'}`];
  for (const t of evac.triggers) out.push(`  trigger (${t.source}${t.by ? ` by ${t.by}` : ''}): ${t.reason}`);
  for (const a of evac.areas) {
    const ack = a.acknowledged ? `acknowledged by ${a.acknowledged.by} (${a.acknowledged.via}) at ${formatTimeZoned(a.acknowledged.wall)}` : `acknowledge (叫应) by ${formatTimeZoned(a.ackDeadlineWall)}${a.escalatedWall !== null ? ' — OVERDUE, escalated' : ''}`;
    out.push(`  area ${a.area}: responsible ${a.responsible ?? 'none'}; ${ack}`);
  }
  if (evac.inside.length > 0) out.push(`  still inside: ${evac.inside.map((p) => `${p.name} (${p.card}, ${p.area ?? '?'})`).join(', ')}`);
  return out;
}
