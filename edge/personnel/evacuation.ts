// The state of a running evacuation (撤人): the affected areas with their acknowledgement (叫应)
// deadlines, and everyone who was inside with the time they got out. Deadlines live as monotonic
// time in the process and as wall time on disk, so a restart resumes them instead of starting the
// wait again. Pure bookkeeping: the engine decides what happens and when.
import type { Clock } from '../../core/clock.js';
import type { AckVia, EvacuationSource } from './events.js';
import type { PersistedEvacuation } from './journal.js';

export interface EvacuationTrigger {
  source: EvacuationSource;
  reason: string;
  by: string | null;
  wall: number;
  areas: string[];
}

export interface EvacuatedArea {
  area: string;
  addedWall: number;
  responsible: string | null;
  ackDeadlineMono: number;
  ackDeadlineWall: number;
  ack: { by: string; via: AckVia; wall: number } | null;
  escalatedWall: number | null;
  nextRecallMono: number | null;
  nextRecallWall: number | null;
}

export interface Evacuee {
  tag: number;
  /** Area the person was in when listed. */
  area: string;
  listedWall: number;
  /** When the person left the evacuated areas; null while inside. */
  exitWall: number | null;
}

/** Triggers kept per evacuation: a flapping cut-off must not grow the record without bound. */
const MAX_TRIGGERS = 100;

export class Evacuation {
  readonly triggers: EvacuationTrigger[] = [];
  readonly areas = new Map<string, EvacuatedArea>();
  readonly evacuees = new Map<number, Evacuee>();
  /** Evacuees without an exit time. */
  private insideCount = 0;
  completeWall: number | null = null;
  nextPageMono: number;
  nextPageWall: number;

  constructor(
    readonly id: string,
    readonly startedWall: number,
    firstPage: { mono: number; wall: number },
  ) {
    this.nextPageMono = firstPage.mono;
    this.nextPageWall = firstPage.wall;
  }

  get inside(): number {
    return this.insideCount;
  }

  covers(area: string | null): boolean {
    return area !== null && this.areas.has(area);
  }

  addTrigger(trigger: EvacuationTrigger): void {
    this.triggers.push(trigger);
    if (this.triggers.length > MAX_TRIGGERS) this.triggers.splice(1, this.triggers.length - MAX_TRIGGERS);
  }

  /** Lists a person as inside; returns false when already inside. */
  markInside(tag: number, area: string, wall: number): boolean {
    const known = this.evacuees.get(tag);
    if (known && known.exitWall === null) return false;
    if (known) known.exitWall = null;
    else this.evacuees.set(tag, { tag, area, listedWall: wall, exitWall: null });
    this.insideCount++;
    this.completeWall = null;
    return true;
  }

  /** Records the exit time; returns false when the person was not inside. */
  markOut(tag: number, wall: number): boolean {
    const known = this.evacuees.get(tag);
    if (!known || known.exitWall !== null) return false;
    known.exitWall = wall;
    this.insideCount--;
    return true;
  }

  insideTags(): number[] {
    const tags: number[] = [];
    for (const e of this.evacuees.values()) if (e.exitWall === null) tags.push(e.tag);
    return tags;
  }

  toPersisted(): PersistedEvacuation {
    return {
      id: this.id,
      startedWall: this.startedWall,
      triggers: this.triggers.map((t) => ({ ...t, areas: [...t.areas] })),
      areas: [...this.areas.values()].map((a) => ({
        area: a.area,
        addedWall: a.addedWall,
        responsible: a.responsible,
        ackDeadlineWall: a.ackDeadlineWall,
        ack: a.ack ? { ...a.ack } : null,
        escalatedWall: a.escalatedWall,
        nextRecallWall: a.nextRecallWall,
      })),
      evacuees: [...this.evacuees.values()].map((e) => ({ ...e })),
      completeWall: this.completeWall,
      nextPageWall: this.nextPageWall,
    };
  }

  /**
   * Rebuild from the store. Wall deadlines become monotonic ones against the clock now, so a
   * deadline that passed while the gateway was down fires on the first tick.
   */
  static fromPersisted(p: PersistedEvacuation, clock: Clock, keep: { area(id: string): boolean; tag(tag: number): boolean }): Evacuation {
    const monoNow = clock.mono();
    const wallNow = clock.wall();
    const toMono = (wall: number) => monoNow + (wall - wallNow);
    const ev = new Evacuation(p.id, p.startedWall, { mono: toMono(p.nextPageWall), wall: p.nextPageWall });
    for (const t of p.triggers) ev.triggers.push({ ...t, areas: [...t.areas] });
    for (const a of p.areas) {
      if (!keep.area(a.area)) continue;
      ev.areas.set(a.area, {
        area: a.area,
        addedWall: a.addedWall,
        responsible: a.responsible,
        ackDeadlineWall: a.ackDeadlineWall,
        ackDeadlineMono: toMono(a.ackDeadlineWall),
        ack: a.ack ? { ...a.ack } : null,
        escalatedWall: a.escalatedWall,
        nextRecallWall: a.nextRecallWall,
        nextRecallMono: a.nextRecallWall === null ? null : toMono(a.nextRecallWall),
      });
    }
    for (const e of p.evacuees) {
      if (!keep.tag(e.tag)) continue;
      ev.evacuees.set(e.tag, { ...e });
      if (e.exitWall === null) ev.insideCount++;
    }
    ev.completeWall = p.completeWall;
    return ev;
  }
}
