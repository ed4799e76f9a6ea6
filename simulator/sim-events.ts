// The scenario's timeline: each event's start (at) and end (until) in time order, fired as the
// scenario clock passes them. Faults, forced values, late replies and status flags are applied to
// the devices here; a bus going down or up is handed back to the simulator, which owns the buses.
import type { FaultKind, ScenarioEvent } from './scenario.js';
import type { SimBus, SimDevice } from './sim-bus.js';

export type TimelineEntry = { time: number; phase: 'start' | 'end'; event: ScenarioEvent; index: number };

/** What firing an event needs from the simulator. */
export interface TimelineHooks {
  bus(busId: string): SimBus;
  setBusDown(bus: SimBus, down: boolean): void;
  setStuck(busId: string, unit: number, stuck: boolean): void;
  log(line: string): void;
}

export class ScenarioTimeline {
  private readonly entries: TimelineEntry[];
  private next = 0;
  /** Undo information for status events with `until`: the flags before the event. */
  private readonly statusBefore = new Map<number, { sensorFault?: boolean; calibrating?: boolean }>();

  constructor(
    events: readonly ScenarioEvent[],
    private readonly hooks: TimelineHooks,
  ) {
    this.entries = buildTimeline(events);
  }

  /** How many entries have fired (saved in the world, so a resumed run does not replay them). */
  get done(): number {
    return this.next;
  }

  /** Carry on after a restart: the first `done` entries count as played. */
  resumeAt(done: number): void {
    this.next = Math.min(done, this.entries.length);
  }

  /** Fire every entry due by scenario time t, in order. */
  fireUpTo(t: number): void {
    while (this.next < this.entries.length && this.entries[this.next]!.time <= t) {
      this.fire(this.entries[this.next]!);
      this.next++;
    }
  }

  private fire(entry: TimelineEntry): void {
    const { event, phase, index } = entry;
    const bus = this.hooks.bus(event.bus);
    const where = event.unit !== undefined ? `${event.bus} unit ${event.unit}` : event.bus;
    const note = phase === 'start' && event.note ? ` — ${event.note}` : '';
    if (event.down) {
      this.hooks.log(`t=${entry.time}s ${where}: bus ${phase === 'start' ? 'down' : 'back up'}${note}`);
      this.hooks.setBusDown(bus, phase === 'start');
      return;
    }
    // Events name the unit a device had at scenario start; it may since have been re-addressed.
    const d = bus.devices.find((x) => x.config.unit === event.unit)!;
    if (event.fault) {
      this.hooks.log(`t=${entry.time}s ${where}: ${event.fault} ${phase === 'start' ? 'begins' : 'ends'}${note}`);
      this.applyFault(bus, d, event.fault, phase === 'start');
    } else if (event.set) {
      const forced = Object.entries(event.set);
      if (phase === 'start') {
        this.hooks.log(`t=${entry.time}s ${where}: set ${forced.map(([c, v]) => `${c}=${String(v)}`).join(', ')}${note}`);
        for (const [channel, value] of forced) {
          d.forced.add(channel);
          d.device.set(channel, value);
        }
      } else {
        this.hooks.log(`t=${entry.time}s ${where}: ${forced.map(([c]) => c).join(', ')} back to ${forced.some(([c]) => d.programs.has(c)) ? 'program' : 'as is'}`);
        for (const [channel] of forced) d.forced.delete(channel);
      }
    } else if (event.responseDelayMs !== undefined) {
      const ms = phase === 'start' ? event.responseDelayMs : 0;
      this.hooks.log(`t=${entry.time}s ${where}: ${ms ? `replies ${ms} ms late` : 'replies on time again'}${note}`);
      d.device.setResponseDelay(ms);
    } else if (event.status) {
      if (phase === 'start') {
        const before = d.device.status;
        this.statusBefore.set(index, Object.fromEntries(Object.keys(event.status).map((k) => [k, before[k as 'sensorFault' | 'calibrating']])));
        this.hooks.log(`t=${entry.time}s ${where}: status ${JSON.stringify(event.status)}${note}`);
        d.device.setStatus(event.status);
      } else {
        const restore = this.statusBefore.get(index) ?? {};
        this.hooks.log(`t=${entry.time}s ${where}: status back to ${JSON.stringify(restore)}`);
        d.device.setStatus(restore);
      }
    } else if (note) {
      this.hooks.log(`t=${entry.time}s ${where}:${note.slice(2)}`);
    }
  }

  private applyFault(bus: SimBus, d: SimDevice, fault: FaultKind, on: boolean): void {
    switch (fault) {
      case 'device-failure':
        d.device.setDeviceFailure(on);
        return;
      case 'stuck':
        this.hooks.setStuck(bus.config.id, d.device.unit, on);
        return;
      default:
        d.device.setWireFault(on ? fault : null);
    }
  }
}

function buildTimeline(events: readonly ScenarioEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  events.forEach((event, index) => {
    entries.push({ time: event.at, phase: 'start', event, index });
    if (event.until !== undefined) entries.push({ time: event.until, phase: 'end', event, index });
  });
  // Ends before starts at the same instant, so back-to-back faults hand over cleanly; then file order.
  return entries.sort((a, b) => a.time - b.time || (a.phase === b.phase ? a.index - b.index : a.phase === 'end' ? -1 : 1));
}
