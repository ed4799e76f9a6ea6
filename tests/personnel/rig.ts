// Test rig for the personnel engine: the shipped personnel example config, a ManualClock, and
// actions that record every output switch, page and event. Sightings are stamped with the clock.
// Not a test file itself.
import { join } from 'node:path';
import { boardConfigsDir } from '../../board-configs/paths.js';
import type { EvacuationSettings, PersonnelAlarmSettings, PersonnelConfig } from '../../board-configs/personnel-schema.js';
import type { SubstationConfig } from '../../board-configs/schema.js';
import { ManualClock } from '../../core/clock.js';
import { loadConfig } from '../../edge/config/load-config.js';
import type { PersonnelAlarm, PersonnelAlarmKind } from '../../edge/personnel/alarms.js';
import { type PageReason, PersonnelEngine, type PersonnelEngineOptions } from '../../edge/personnel/engine.js';
import type { PersonnelEvent, PersonnelEventType } from '../../edge/personnel/events.js';
import type { PersonnelConfigView } from '../../edge/personnel/plan.js';
import type { PersonnelSighting } from '../../edge/personnel/sighting.js';

export const WALL0 = Date.UTC(2026, 0, 10, 0, 0, 0);
export const EXAMPLE_FILE = join(boardConfigsDir(), 'examples', 'personnel-substation.yaml');

/** Tags and readers of the example (board-configs/examples/personnel-substation.yaml). */
export const T = { leader: 1001, li: 1002, wang: 1003, gasInspector: 1004, blaster: 1005, electrician: 1006, manager: 1007, liSpare: 1008 } as const;
export const R = { shaftOuter: 1, shaftInner: 2, shaftBottom: 3, headingMouth: 4, face: 5, store: 6 } as const;

let cached: SubstationConfig | undefined;
export function exampleConfig(): SubstationConfig {
  cached ??= loadConfig(EXAMPLE_FILE).config;
  return cached;
}

export interface Overrides {
  alarms?: Partial<PersonnelAlarmSettings>;
  evacuation?: Partial<EvacuationSettings>;
  personnel?: Partial<PersonnelConfig>;
}

/** The example config with some personnel settings replaced. */
export function configWith(o: Overrides = {}): PersonnelConfigView {
  const base = exampleConfig();
  const p = base.personnel!;
  return {
    ...base,
    personnel: { ...p, ...o.personnel, alarms: { ...p.alarms, ...o.alarms }, evacuation: { ...p.evacuation, ...o.evacuation } },
  };
}

export class PersonnelRig {
  readonly clock: ManualClock;
  readonly events: PersonnelEvent[] = [];
  readonly outputs = new Map<string, boolean>();
  readonly switches: [string, boolean][] = [];
  readonly pages: { tag: number; reader: number | null; reason: PageReason }[] = [];
  readonly engine: PersonnelEngine;

  /** `startWall`: where the clock starts (a restarted process); its monotonic time starts afresh. */
  constructor(o: Overrides = {}, opts: Partial<PersonnelEngineOptions> = {}, startWall = WALL0) {
    this.clock = new ManualClock(startWall, 1_000_000);
    this.engine = new PersonnelEngine({
      config: configWith({ ...o, alarms: { startupGraceMs: 0, ...o.alarms } }),
      clock: this.clock,
      actions: {
        setOutput: (id, on) => {
          this.outputs.set(id, on);
          this.switches.push([id, on]);
        },
        pageCard: (page) => this.pages.push(page),
        emit: (e) => this.events.push(e),
      },
      ...opts,
    });
  }

  sighting(tag: number, reader: number, extra: Partial<PersonnelSighting> = {}): PersonnelSighting {
    return { reader, tag, rssi: -60, distanceM: 0, lowBattery: false, sos: false, wallTime: this.clock.wall(), monoTime: this.clock.mono(), ...extra };
  }

  /** The card is heard by the reader now. */
  see(tag: number, reader: number, extra: Partial<PersonnelSighting> = {}): this {
    this.engine.onSighting(this.sighting(tag, reader, extra));
    return this;
  }

  /** Time passes (then the engine's timers run). */
  advance(ms: number): this {
    this.clock.advance(ms);
    this.engine.tick();
    return this;
  }

  /** Walk a card along `[reader, msAfterPrevious]` hops. */
  walk(tag: number, hops: readonly (readonly [number, number])[]): this {
    for (const [reader, after] of hops) {
      if (after > 0) this.advance(after);
      this.see(tag, reader);
    }
    return this;
  }

  /** Down the shaft to the heading face: outer → collar → (cage) shaft bottom → heading mouth → face. */
  toFace(tag: number): this {
    return this.walk(tag, DOWN_TO_FACE);
  }

  on(id: string): boolean {
    return this.outputs.get(id) === true;
  }

  of(type: PersonnelEventType): PersonnelEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  alarmEvents(kind: PersonnelAlarmKind, type: 'alarm-start' | 'alarm-end' = 'alarm-start'): PersonnelAlarm[] {
    return this.events.filter((e) => e.type === type && e.alarm?.kind === kind).map((e) => e.alarm!);
  }

  open(kind: PersonnelAlarmKind): PersonnelAlarm[] {
    return this.engine.alarms().filter((a) => a.kind === kind);
  }
}

/** Plausible travel times: 10 m on foot, a 410 m cage ride, 60 m, then 800 m to the face. */
export const DOWN_TO_FACE: readonly (readonly [number, number])[] = [
  [R.shaftOuter, 0],
  [R.shaftInner, 5_000],
  [R.shaftBottom, 60_000],
  [R.headingMouth, 30_000],
  [R.face, 300_000],
];
export const UP_FROM_FACE: readonly (readonly [number, number])[] = [
  [R.headingMouth, 300_000],
  [R.shaftBottom, 30_000],
  [R.shaftInner, 60_000],
  [R.shaftOuter, 5_000],
];
