// The reader stations' run state and the reader-offline alarm: a station the driver reports offline
// (silent for offlineAfterMs, its line down, or never heard since power-up) leaves the cards in its
// range unseen (domain.md §3: readers at every shaft entrance and key area; AQ 1048-2007 alarms on
// abnormal equipment). While it is offline its cards are not declared lost.
import type { StationConfig } from '../../board-configs/personnel-schema.js';
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
import type { StationPower, StationRunState, StationView } from './views.js';

interface Station {
  config: StationConfig;
  state: StationRunState;
  power: StationPower;
  sinceWall: number | null;
}

export class StationStates {
  private readonly states = new Map<number, Station>();

  constructor(private readonly ctx: PersonnelContext) {
    for (const station of ctx.plan.stations.values()) this.states.set(station.reader, { config: station, state: 'unknown', power: 'unknown', sinceWall: null });
  }

  has(reader: number): boolean {
    return this.states.has(reader);
  }

  offline(reader: number | null): boolean {
    return this.states.get(reader ?? -1)?.state === 'offline';
  }

  /** The driver's report for a configured station (the engine handles readers it does not know). */
  report(reader: number, online: boolean, power?: StationPower): void {
    const st = this.states.get(reader)!;
    if (power !== undefined) st.power = power;
    const state: StationRunState = online ? 'online' : 'offline';
    if (st.state === state) return;
    const wall = this.ctx.clock.wall();
    const mono = this.ctx.clock.mono();
    st.state = state;
    st.sinceWall = wall;
    const key = alarmKey('reader-offline', reader);
    if (!online) {
      this.ctx.startAlarm({
        key,
        kind: 'reader-offline',
        reader,
        area: st.config.area,
        startWall: wall,
        message: `station ${st.config.name} (reader ${reader}) is offline: cards in its range are not seen`,
      }, mono);
    } else {
      this.ctx.endAlarm(key, wall, mono, `station ${st.config.name} is online again`);
    }
  }

  views(): StationView[] {
    return [...this.states.values()].map((s) => ({ reader: s.config.reader, code: s.config.code, area: s.config.area, state: s.state, power: s.power, sinceWall: s.sinceWall }));
  }
}
