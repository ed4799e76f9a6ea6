// Acceptance rig: the simulated reader network (simulator/personnel) on a socat PTY pair, our
// CardReaderBus on the gateway end speaking the framed protocol over real serial bytes, and the
// PersonnelEngine fed by it, with pages going back down the same line. Gateway time (bus and
// engine) runs SPEED times faster than real time so minute-long limits take a fraction of a
// second; the readers, the line and its bytes run in real time. Not a test file itself.
import { performance } from 'node:perf_hooks';
import { CardReaderBus } from '../../drivers/card-reader-serial.js';
import type { Clock } from '../../core/clock.js';
import type { PersonnelAlarmKind } from '../../edge/personnel/alarms.js';
import { PersonnelEngine } from '../../edge/personnel/engine.js';
import type { PersonnelEvent, PersonnelEventType } from '../../edge/personnel/events.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { type ReaderNetwork, startReaderNetwork } from '../../simulator/personnel/reader-network.js';
import { waitFor } from '../helpers/wait-for.js';
import { configWith, exampleConfig, type Overrides } from './rig.js';

/** Gateway ms per real ms. */
export const SPEED = 100;
/** Readers report every 100 real ms = 10 s of gateway time. */
const REPORT_MS = 100;
/** Gateway ms of silence before a reader is offline (five report periods). */
export const OFFLINE_AFTER_MS = 5 * REPORT_MS * SPEED;

/** Wall and monotonic time running SPEED times faster than real time, from now. */
export class FastClock implements Clock {
  private readonly wall0 = Date.now();
  private readonly mono0 = performance.now();
  mono(): number {
    return (performance.now() - this.mono0) * SPEED;
  }
  wall(): number {
    return this.wall0 + this.mono();
  }
}

export interface WireOptions extends Overrides {
  /** Keep station coordinates and travel legs (the cloned-card check); off, moves between far stations are instant. */
  travelChecks?: boolean;
  /** Configured readers that are not on the line at all (dead from power-up). */
  deadReaders?: number[];
}

export class WireRig {
  readonly events: PersonnelEvent[] = [];
  readonly outputs = new Map<string, boolean>();
  readonly pageErrors: string[] = [];
  private tickTimer: NodeJS.Timeout | undefined;
  /** Gateway monotonic time the reader bus was opened (watching started). */
  openedAtMono = 0;

  private constructor(
    readonly net: ReaderNetwork,
    readonly bus: CardReaderBus,
    readonly engine: PersonnelEngine,
    readonly clock: FastClock,
  ) {}

  static async start(o: WireOptions = {}): Promise<WireRig> {
    const net = await startReaderNetwork({
      readers: exampleConfig().personnel!.stations.filter((s) => !o.deadReaders?.includes(s.reader)).map((s) => ({ address: s.reader, name: s.name })),
      reportIntervalMs: REPORT_MS,
      baudRate: 115_200,
      // Scenario seconds are real seconds (speed 1): an SOS is signalled for two reports.
      sosHoldS: 0.2,
    });
    const clock = new FastClock();
    const bus = new CardReaderBus({
      link: new SerialLink({ path: net.serialPath!, baudRate: net.baud, presenceCheckMs: 50 }),
      readers: exampleConfig().personnel!.stations.map((s) => s.reader),
      clock,
      // Five report periods of silence (gateway time); checked every 20 real ms.
      offlineAfterMs: OFFLINE_AFTER_MS,
      checkIntervalMs: 20,
    });
    const base = exampleConfig().personnel!;
    const stations = o.travelChecks ? base.stations : base.stations.map(({ x: _x, y: _y, z: _z, ...s }) => s);
    const engine = new PersonnelEngine({
      config: configWith({
        ...o,
        personnel: { stations, travel: o.travelChecks ? base.travel : [], ...o.personnel },
        alarms: {
          startupGraceMs: 0,
          // Six report periods without the card is lost; the SOS flag of one press spans two reports.
          lostCardMs: 6 * REPORT_MS * SPEED,
          sosPressGapMs: 3 * REPORT_MS * SPEED,
          shaftMouthExitMs: 3 * REPORT_MS * SPEED,
          ...o.alarms,
        },
      }),
      clock,
      actions: {
        setOutput: (id, on) => rig.outputs.set(id, on),
        pageCard: ({ tag, reader, reason }) => {
          if (reader === null) return;
          bus.page(reader, tag, { mode: reason === 'evacuate' ? 'evacuate' : 'call' }).catch((err: Error) => rig.pageErrors.push(err.message));
        },
        emit: (e) => rig.events.push(e),
      },
    });
    const rig = new WireRig(net, bus, engine, clock);
    bus.on('sightings', (list) => {
      for (const s of list) engine.onSighting(s);
    });
    bus.on('reader', (change) => engine.onReaderState(change.reader, change.online));
    bus.on('status', (status) => engine.onReaderState(status.reader, true, status.power));
    rig.tickTimer = setInterval(() => engine.tick(), 10);
    rig.openedAtMono = clock.mono();
    await bus.open();
    return rig;
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    await this.bus.close();
    await this.net.stop();
    await this.engine.close();
  }

  /** Put cards in readers' ranges and wait until the engine has them there. */
  async place(moves: Record<number, number>): Promise<void> {
    for (const [tag, reader] of Object.entries(moves)) this.net.move(Number(tag), reader);
    await waitFor(() => Object.entries(moves).every(([tag, reader]) => this.engine.person(Number(tag))?.reader === reader), {
      timeoutMs: 5_000,
      what: `cards at ${JSON.stringify(moves)}`,
    });
  }

  /** Walk a card out of the mine: to the shaft mouth, then out of every reader's range. */
  async leave(tag: number): Promise<void> {
    await this.place({ [tag]: 1 });
    this.net.move(tag, null);
    await waitFor(() => this.engine.person(tag)!.flag === 2, { timeoutMs: 5_000, what: `tag ${tag} out of the mine` });
  }

  of(type: PersonnelEventType): PersonnelEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  async alarmStarts(kind: PersonnelAlarmKind, count = 1): Promise<PersonnelEvent[]> {
    return waitFor(() => {
      const found = this.events.filter((e) => e.type === 'alarm-start' && e.alarm?.kind === kind);
      return found.length >= count ? found : undefined;
    }, { timeoutMs: 5_000, what: `${count} ${kind} alarm start(s)` });
  }

  async alarmEnds(kind: PersonnelAlarmKind, count = 1): Promise<PersonnelEvent[]> {
    return waitFor(() => {
      const found = this.events.filter((e) => e.type === 'alarm-end' && e.alarm?.kind === kind);
      return found.length >= count ? found : undefined;
    }, { timeoutMs: 5_000, what: `${count} ${kind} alarm end(s)` });
  }
}
