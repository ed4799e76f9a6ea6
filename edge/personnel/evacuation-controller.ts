// Running an evacuation (撤人, README "Evacuation"): started by a cut-off in a linked zone, an
// operator or the platform, widened by later triggers; everyone inside the affected areas listed
// and paged, the responsible person paged to acknowledge (叫应, domain.md §3: two-way call, the
// centre pages the card, AQ 1048-2007), escalation and recalls when nobody does, the sirens on
// until it is stood down. A person comes off the list only on positive evidence of leaving; a lost
// card stays listed where it was last seen. The bookkeeping itself is evacuation.ts.
import type { SafetyEvent } from '../safety/events.js';
import { alarmKey } from './alarms.js';
import { copyAlarm, type PersonnelContext } from './engine-context.js';
import { PersonnelCommandError } from './errors.js';
import { type EvacuatedArea, Evacuation } from './evacuation.js';
import { type AckVia, EVACUATION_SOURCES } from './events.js';
import type { PersistedEvacuation } from './journal.js';
import { type Person, whoEvent } from './person.js';
import type { EvacuationCommand, EvacuationView, PageReason, StandDownCommand } from './views.js';

/** What the controller reads of the tracker: who is where. */
export interface EvacuationPeople {
  readonly people: ReadonlyMap<number, Person>;
  readonly members: ReadonlyMap<string, ReadonlySet<number>>;
}

export class EvacuationController {
  private evac: Evacuation | null = null;
  private readonly outputsOn = new Set<string>();

  constructor(
    private readonly ctx: PersonnelContext,
    private readonly tracker: EvacuationPeople,
  ) {}

  get current(): Evacuation | null {
    return this.evac;
  }

  /** A cut-off in a zone linked to areas (and whose rule the link names) starts or widens an evacuation. */
  onSafetyEvent(event: SafetyEvent): EvacuationView | undefined {
    if (event.type !== 'cut' && event.type !== 'lockout' && event.type !== 'remote-cut') return undefined;
    if (event.rule === undefined || !event.outputs || event.outputs.length === 0) return undefined;
    const plan = this.ctx.plan;
    const outputs = new Set(event.outputs);
    const areas = new Set<string>();
    const zones: string[] = [];
    for (const [zone, links] of plan.linksByZone) {
      const zoneOutputs = plan.zoneOutputs.get(zone) ?? [];
      if (!zoneOutputs.some((o) => outputs.has(o))) continue;
      for (const link of links) {
        if (!(link.rules as readonly string[]).includes(event.rule)) continue;
        zones.push(zone);
        for (const a of link.areas) areas.add(a);
      }
    }
    if (areas.size === 0) return undefined;
    return this.start({
      areas: [...areas],
      source: 'cutoff',
      reason: `${event.rule} cut-off in zone ${[...new Set(zones)].join(', ')}: ${event.message}`,
    });
  }

  /** Start an evacuation of `areas`, or widen the running one. Throws PersonnelCommandError; nothing changes then. */
  start(cmd: EvacuationCommand): EvacuationView {
    this.checkStart(cmd);
    const { plan, clock } = this.ctx;
    const mono = clock.mono();
    const wall = clock.wall();
    const cfg = plan.config.evacuation;
    const ev = this.evac ?? new Evacuation(`evac-${wall}`, wall, { mono: mono + cfg.pageIntervalMs, wall: wall + cfg.pageIntervalMs });
    const isNew = this.evac === null;
    this.evac = ev;
    const added = [...new Set(cmd.areas)].filter((a) => !ev.areas.has(a));
    ev.addTrigger({ source: cmd.source, reason: cmd.reason, by: cmd.by ?? null, wall, areas: [...cmd.areas] });
    for (const area of added) {
      ev.areas.set(area, {
        area,
        addedWall: wall,
        responsible: plan.evacuationAreas.get(area)?.responsible ?? null,
        ackDeadlineMono: mono + cfg.ackTimeoutMs,
        ackDeadlineWall: wall + cfg.ackTimeoutMs,
        ack: null,
        escalatedWall: null,
        nextRecallMono: null,
        nextRecallWall: null,
      });
    }
    if (added.length > 0) {
      this.ctx.raise({
        type: isNew ? 'evacuation-start' : 'evacuation-widened',
        evacuationId: ev.id,
        areas: added,
        source: cmd.source,
        ...(cmd.by !== undefined ? { by: cmd.by } : {}),
        reason: cmd.reason,
        message: `${isNew ? 'evacuation' : 'evacuation widened'} (${cmd.source}${cmd.by ? ` by ${cmd.by}` : ''}): ${added.join(', ')}: ${cmd.reason}`,
      }, mono, wall);
      this.applyOutputs(false);
      for (const area of added) {
        for (const tag of this.tracker.members.get(area) ?? []) this.listInside(ev, this.tracker.people.get(tag)!, wall, mono);
        this.requestAck(ev.areas.get(area)!, mono, wall, 'ack-request');
      }
      this.checkComplete(ev, wall, mono);
    }
    this.ctx.journal?.evacuationChanged();
    return this.view()!;
  }

  /** Stand the evacuation down (operator or upstream). Outputs go off; the record stays in the event log. */
  end(cmd: StandDownCommand): void {
    if (cmd === null || typeof cmd !== 'object') throw new PersonnelCommandError('INVALID_COMMAND', 'stand-down command must be an object');
    const source = cmd.source ?? 'manual';
    if (source !== 'manual' && source !== 'upstream') throw new PersonnelCommandError('INVALID_COMMAND', `stand-down source must be manual or upstream, got ${JSON.stringify(cmd.source)}`);
    if (source === 'manual') this.authorise(cmd.by, 'stand an evacuation down');
    else if (typeof cmd.by !== 'string' || cmd.by.trim() === '') throw new PersonnelCommandError('NOT_AUTHORISED', 'an upstream stand-down must name its authority');
    if (typeof cmd.reason !== 'string' || cmd.reason.trim() === '') throw new PersonnelCommandError('INVALID_COMMAND', 'a stand-down needs a reason');
    const ev = this.evac;
    if (!ev) throw new PersonnelCommandError('NO_EVACUATION', 'no evacuation is running');
    const mono = this.ctx.clock.mono();
    const wall = this.ctx.clock.wall();
    for (const a of ev.areas.values()) this.ctx.endAlarm(alarmKey('ack-overdue', a.area), wall, mono, `evacuation stood down by ${cmd.by}`);
    const inside = ev.inside;
    this.evac = null;
    this.applyOutputs(false);
    this.ctx.raise({
      type: 'evacuation-end',
      evacuationId: ev.id,
      areas: [...ev.areas.keys()],
      by: cmd.by,
      source,
      reason: cmd.reason,
      inside,
      message: `evacuation ${ev.id} stood down by ${cmd.by} (${source}): ${cmd.reason}${inside > 0 ? ` (${inside} still inside)` : ''}`,
    }, mono, wall);
    this.ctx.journal?.evacuationChanged();
  }

  /** 叫应 by button or card (engine.acknowledge checks the command). Returns false when already acknowledged. */
  acknowledge(area: string, by: string, via: AckVia): boolean {
    const entry = this.evac?.areas.get(area);
    if (!entry) throw new PersonnelCommandError('NO_EVACUATION', `area "${area}" is not being evacuated`);
    if (via === 'card' && entry.responsible !== by) {
      throw new PersonnelCommandError('NOT_RESPONSIBLE', `card ${by} is not the responsible person of area "${area}" (${entry.responsible ?? 'none configured'})`);
    }
    return this.ack(entry, by, via, this.ctx.clock.mono(), this.ctx.clock.wall());
  }

  ack(a: EvacuatedArea, by: string, via: AckVia, mono: number, wall: number): boolean {
    if (a.ack) return false;
    a.ack = { by, via, wall };
    a.nextRecallMono = null;
    a.nextRecallWall = null;
    this.ctx.raise({ type: 'acknowledged', evacuationId: this.evac?.id, area: a.area, by, via, message: `evacuation of ${a.area} acknowledged by ${by} (${via})` }, mono, wall);
    this.ctx.endAlarm(alarmKey('ack-overdue', a.area), wall, mono, `acknowledged by ${by} (${via})`);
    this.applyOutputs(false);
    this.ctx.journal?.evacuationChanged();
    return true;
  }

  /** Areas waiting for this card's acknowledgement (the responsible person's double press). */
  pendingAcksOf(card: string): EvacuatedArea[] {
    const ev = this.evac;
    const areas = this.ctx.plan.responsibleFor.get(card);
    if (!ev || !areas) return [];
    const pending: EvacuatedArea[] = [];
    for (const area of areas) {
      const a = ev.areas.get(area);
      if (a && a.ack === null && a.responsible === card) pending.push(a);
    }
    return pending;
  }

  /** A card moved between areas: walking into an evacuated area lists it, leaving them records its exit. */
  areaChanged(p: Person, from: string | null, to: string | null, wall: number, mono: number): void {
    const ev = this.evac;
    if (!ev) return;
    if (ev.covers(to)) this.listInside(ev, p, wall, mono);
    else if (ev.covers(from)) this.listOut(ev, p, wall, mono);
  }

  /** Timers: 叫应 deadlines (escalation), recalls, repeated evacuation pages. */
  tick(now: number, wall: number): void {
    const ev = this.evac;
    if (!ev) return;
    const cfg = this.ctx.plan.config.evacuation;
    for (const a of ev.areas.values()) {
      if (a.ack) continue;
      if (a.escalatedWall === null && now >= a.ackDeadlineMono) {
        this.escalate(ev, a, now, wall);
      } else if (a.escalatedWall !== null && a.nextRecallMono !== null && now >= a.nextRecallMono) {
        // Keep calling, at the configured interval from the last call (never a burst after a stall).
        a.nextRecallMono = now + cfg.recallIntervalMs;
        a.nextRecallWall = wall + cfg.recallIntervalMs;
        this.requestAck(a, now, wall, 'recall');
        this.ctx.journal?.evacuationChanged();
      }
    }
    if (now >= ev.nextPageMono) {
      ev.nextPageMono = now + cfg.pageIntervalMs;
      ev.nextPageWall = wall + cfg.pageIntervalMs;
      for (const tag of ev.insideTags()) this.page(tag, 'evacuate');
      this.ctx.journal?.evacuationChanged();
    }
  }

  /** Takes back the stored evacuation (restore, after the people). */
  restore(saved: PersistedEvacuation, mono: number, wall: number): void {
    const { plan, clock } = this.ctx;
    const ev = Evacuation.fromPersisted(saved, clock, { area: (id) => plan.areas.has(id), tag: (tag) => this.tracker.people.has(tag) });
    if (ev.areas.size === 0) return;
    this.evac = ev;
    // People and the list are written in separate rows: make them agree, never dropping anyone still inside.
    for (const area of ev.areas.keys()) {
      for (const tag of this.tracker.members.get(area)!) {
        const p = this.tracker.people.get(tag)!;
        if (ev.markInside(tag, area, p.areaEntryWall ?? wall)) this.ctx.journal?.evacuationChanged();
      }
    }
    for (const tag of ev.insideTags()) {
      const p = this.tracker.people.get(tag)!;
      if (!ev.covers(p.area)) ev.markOut(tag, p.areaEntryWall ?? p.exitWall ?? wall);
    }
    if (ev.inside === 0 && ev.completeWall === null) this.checkComplete(ev, wall, mono);
  }

  /** Switches the outputs to what the evacuation wants; `force` repeats the ones already on (after a restart). */
  applyOutputs(force: boolean): void {
    const want = new Set<string>();
    const ev = this.evac;
    const cfg = this.ctx.plan.config.evacuation;
    if (ev) {
      for (const area of ev.areas.keys()) for (const o of this.ctx.plan.evacuationAreas.get(area)?.outputs ?? []) want.add(o);
      const overdue = [...ev.areas.values()].some((a) => a.escalatedWall !== null && a.ack === null);
      if (overdue) for (const o of cfg.escalationOutputs) want.add(o);
    }
    for (const o of [...this.outputsOn]) {
      if (want.has(o)) continue;
      this.outputsOn.delete(o);
      this.ctx.act(() => this.ctx.actions.setOutput(o, false));
    }
    for (const o of want) {
      if (this.outputsOn.has(o) && !force) continue;
      this.outputsOn.add(o);
      this.ctx.act(() => this.ctx.actions.setOutput(o, true));
    }
  }

  outputs(): string[] {
    return [...this.outputsOn];
  }

  view(): EvacuationView | null {
    const ev = this.evac;
    if (!ev) return null;
    const entry = (tag: number) => this.ctx.plan.byTag.get(tag)!;
    return {
      id: ev.id,
      startedWall: ev.startedWall,
      triggers: ev.triggers.map((t) => ({ ...t, areas: [...t.areas] })),
      areas: [...ev.areas.values()].map((a) => ({
        area: a.area,
        responsible: a.responsible,
        ackDeadlineWall: a.ackDeadlineWall,
        acknowledged: a.ack ? { ...a.ack } : null,
        escalatedWall: a.escalatedWall,
      })),
      inside: ev.insideTags().map((tag) => {
        const p = this.tracker.people.get(tag)!;
        return { tag, card: p.entry.card, name: p.entry.name, area: p.area, lastSeenWall: p.lastSeenWall };
      }),
      insideCount: ev.inside,
      evacuees: [...ev.evacuees.values()].map((e) => ({ tag: e.tag, card: entry(e.tag).card, name: entry(e.tag).name, area: e.area, listedWall: e.listedWall, exitWall: e.exitWall })),
      complete: ev.inside === 0,
      completeWall: ev.completeWall,
      outputs: [...this.outputsOn],
    };
  }

  persisted(): PersistedEvacuation | null {
    return this.evac?.toPersisted() ?? null;
  }

  private checkStart(cmd: EvacuationCommand): void {
    if (cmd === null || typeof cmd !== 'object') throw new PersonnelCommandError('INVALID_COMMAND', 'evacuation command must be an object');
    if (!EVACUATION_SOURCES.includes(cmd.source)) {
      throw new PersonnelCommandError('INVALID_COMMAND', `evacuation source must be one of ${EVACUATION_SOURCES.join(', ')}, got ${JSON.stringify(cmd.source)}`);
    }
    if (typeof cmd.reason !== 'string' || cmd.reason.trim() === '') throw new PersonnelCommandError('INVALID_COMMAND', 'an evacuation needs a reason');
    if (!Array.isArray(cmd.areas) || cmd.areas.length === 0) throw new PersonnelCommandError('INVALID_COMMAND', 'an evacuation needs at least one area');
    const areas = this.ctx.plan.areas;
    for (const a of cmd.areas) {
      if (!areas.has(a)) throw new PersonnelCommandError('UNKNOWN_AREA', `no area "${a}" (areas: ${[...areas.keys()].join(', ')})`);
    }
    if (cmd.source === 'manual') this.authorise(cmd.by, 'start an evacuation');
    if (cmd.by !== undefined && (typeof cmd.by !== 'string' || cmd.by.trim() === '')) throw new PersonnelCommandError('INVALID_COMMAND', '"by" must be a non-empty string');
  }

  private escalate(ev: Evacuation, a: EvacuatedArea, now: number, wall: number): void {
    const cfg = this.ctx.plan.config.evacuation;
    a.escalatedWall = wall;
    a.nextRecallMono = now + cfg.recallIntervalMs;
    a.nextRecallWall = wall + cfg.recallIntervalMs;
    const name = this.ctx.plan.areas.get(a.area)!.name;
    const key = alarmKey('ack-overdue', a.area);
    this.ctx.startAlarm({ key, kind: 'ack-overdue', area: a.area, startWall: wall, message: `nobody acknowledged the evacuation of ${name} within ${Math.round(cfg.ackTimeoutMs / 1000)} s` }, now);
    this.applyOutputs(false);
    this.ctx.raise({
      type: 'escalated',
      evacuationId: ev.id,
      area: a.area,
      outputs: [...cfg.escalationOutputs],
      alarm: copyAlarm(this.ctx.alarms.get(key)!),
      message: `evacuation of ${name} not acknowledged in time: escalation outputs on, upstream alarm`,
    }, now, wall);
    this.requestAck(a, now, wall, 'recall');
    this.ctx.journal?.evacuationChanged();
  }

  private listInside(ev: Evacuation, p: Person, wall: number, mono: number): void {
    if (!ev.markInside(p.entry.tag, p.area!, wall)) return;
    this.ctx.raise({ type: 'evacuee-added', evacuationId: ev.id, ...whoEvent(p), inside: ev.inside, message: `${p.entry.name} is inside evacuated area ${p.area}` }, mono, wall);
    this.page(p.entry.tag, 'evacuate');
    this.ctx.journal?.evacuationChanged();
  }

  private listOut(ev: Evacuation, p: Person, wall: number, mono: number): void {
    if (!ev.markOut(p.entry.tag, wall)) return;
    this.ctx.raise({
      type: 'evacuee-out',
      evacuationId: ev.id,
      ...whoEvent(p),
      inside: ev.inside,
      message: `${p.entry.name} left the evacuated areas; ${ev.inside} still inside`,
    }, mono, wall);
    this.ctx.journal?.evacuationChanged();
    this.checkComplete(ev, wall, mono);
  }

  private checkComplete(ev: Evacuation, wall: number, mono: number): void {
    if (ev.inside > 0 || ev.completeWall !== null) return;
    ev.completeWall = wall;
    this.ctx.raise({
      type: 'evacuation-complete',
      evacuationId: ev.id,
      areas: [...ev.areas.keys()],
      inside: 0,
      count: ev.evacuees.size,
      message: `evacuation complete: nobody left in ${[...ev.areas.keys()].join(', ')} (${ev.evacuees.size} evacuated)`,
    }, mono, wall);
    this.ctx.journal?.evacuationChanged();
  }

  private requestAck(a: EvacuatedArea, mono: number, wall: number, type: 'ack-request' | 'recall'): void {
    const responsible = a.responsible === null ? undefined : this.ctx.plan.byCard.get(a.responsible);
    if (responsible) this.page(responsible.tag, 'acknowledge');
    this.ctx.raise({
      type,
      evacuationId: this.evac?.id,
      area: a.area,
      ...(responsible ? { tag: responsible.tag, card: responsible.card, name: responsible.name } : {}),
      message: responsible
        ? `${type === 'recall' ? 'calling again' : 'calling'} ${responsible.name} to acknowledge the evacuation of ${a.area} (叫应)`
        : `area ${a.area} has no responsible person: only the board button can acknowledge`,
    }, mono, wall);
  }

  private page(tag: number, reason: PageReason): void {
    const p = this.tracker.people.get(tag);
    this.ctx.act(() => this.ctx.actions.pageCard({ tag, reader: p?.reader ?? null, reason }));
  }

  private authorise(by: string | undefined, what: string): void {
    if (typeof by !== 'string' || by.trim() === '') throw new PersonnelCommandError('NOT_AUTHORISED', `an operator must be named to ${what}`);
    const operators = this.ctx.plan.config.evacuation.operators;
    if (operators.length > 0 && !operators.includes(by)) {
      throw new PersonnelCommandError('NOT_AUTHORISED', `operator "${by}" may not ${what} (personnel.evacuation.operators: ${operators.join(', ')})`);
    }
  }
}
