// The seals part of the live status screen: each shaft mouth's mode and shift counts, each camera's
// state and tamper flags, the loads' power, the headcount cross-check and every active alarm.
import { formatTimeZoned, MINE_TZ_OFFSET_MINUTES } from '../../core/mine-time.js';
import { renderTable } from '../text-table.js';
import type { SealsState } from './engine.js';
import { SEAL_RULES } from './events.js';

const MODE_TEXT = { producing: 'producing 生产', stopped: 'STOPPED 停产' } as const;
const TAMPER_TEXT = { videoLost: 'VIDEO LOST', occluded: 'OCCLUDED', displaced: 'DISPLACED', blurred: 'BLURRED' } as const;

function ago(nowMs: number, thenMs: number | null): string {
  if (thenMs === null) return 'never';
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}min ago`;
}

/** Text block for the status screen; `tzOffsetMinutes` selects the clock times are shown in (mine time). */
export function renderSeals(state: SealsState, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  const now = state.wallTime;
  const positioning = state.positioningHeadcount === null ? `positioning unknown (${state.positioningUnknownBecause ?? 'positioning readers offline'})` : `positioning ${state.positioningHeadcount}`;
  const head = `seals — shift since ${formatTimeZoned(state.shiftStartWall, tzOffsetMinutes)}; headcount underground: seal ${state.sealHeadcount} (baseline ${state.baseline}), ${positioning}`;

  const mouths = renderTable(
    [{ header: 'shaft mouth' }, { header: 'mode' }, { header: 'people in', right: true }, { header: 'out', right: true }, { header: 'vehicles in', right: true }, { header: 'out', right: true }, { header: 'mode set by' }],
    state.shaftMouths.map((m) => [
      `${m.name} (${m.id})`,
      MODE_TEXT[m.mode],
      String(m.totals.peopleIn),
      String(m.totals.peopleOut),
      String(m.totals.vehiclesIn),
      String(m.totals.vehiclesOut),
      m.modeOperator ? `${m.modeOperator}, ${formatTimeZoned(m.modeSinceWall, tzOffsetMinutes)}: ${m.modeReason ?? ''}` : 'config',
    ]),
  );

  const cameras = renderTable(
    [{ header: 'camera' }, { header: 'position' }, { header: 'state' }, { header: 'tamper' }, { header: 'counters in/out (veh in/out)' }, { header: 'boot', right: true }, { header: 'last read' }],
    state.cameras.map((c) => {
      const flags = c.tamper ? (Object.keys(TAMPER_TEXT) as (keyof typeof TAMPER_TEXT)[]).filter((k) => c.tamper![k]).map((k) => TAMPER_TEXT[k]) : [];
      return [
        c.id,
        c.position,
        c.state === 'offline' ? `OFFLINE${c.lastError ? ` (${c.lastError})` : ''}` : c.state,
        c.tamper === null ? '—' : flags.length ? flags.join(', ') : 'ok',
        c.counters ? `${c.counters.peopleIn}/${c.counters.peopleOut} (${c.counters.vehiclesIn}/${c.counters.vehiclesOut})` : '—',
        c.bootCount === null ? '—' : String(c.bootCount),
        ago(now, c.lastSampleWall),
      ];
    }),
  );

  const parts = [head, '', mouths, '', cameras];
  if (state.loads.length > 0) {
    parts.push(
      '',
      renderTable(
        [{ header: 'load' }, { header: 'shaft mouth' }, { header: 'power kW', right: true }, { header: 'idle ≤ kW', right: true }, { header: 'energy kWh', right: true }, { header: 'kind' }],
        state.loads.map((l) => [
          `${l.name} (${l.id})`,
          l.shaftMouth,
          l.powerKw === null ? `— (${l.powerQuality ?? 'no reading'})` : l.powerKw.toFixed(1),
          String(l.idleKw),
          l.energyKwh === null ? '—' : l.energyKwh.toFixed(1),
          l.production ? 'production' : 'auxiliary',
        ]),
      ),
    );
  }
  parts.push('');
  if (state.alarms.length === 0) parts.push('seal alarms: none');
  else {
    parts.push(`seal alarms: ${state.alarms.length}`);
    for (const a of [...state.alarms].sort((x, y) => x.sinceWall - y.sinceWall)) {
      const count = a.count !== undefined ? ` [${a.count}]` : a.value !== undefined ? ` [${a.value.toFixed(1)} kW]` : '';
      parts.push(`  ! ${SEAL_RULES[a.rule]} (${a.rule})${count} since ${formatTimeZoned(a.sinceWall, tzOffsetMinutes)} — ${a.message}${a.imageRef ? ` — image ${a.imageRef}` : ''}`);
    }
  }
  if (state.store.lastError !== null || state.store.droppedEvents > 0) {
    parts.push(`seal store: ${state.store.pendingEvents} events waiting, ${state.store.droppedEvents} dropped${state.store.lastError ? `, last error: ${state.store.lastError}` : ''}`);
  }
  return parts.join('\n');
}
