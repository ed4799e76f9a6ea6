// A virtual personnel-positioning network: card readers at the shaft mouth, branches, the face, the
// refuge chamber… Framed readers share one RS-485 line (a socat PTY pair with real line time) and
// speak minegate's reader protocol; Modbus-FIFO readers are served by a ModbusSlaveServer. Cards walk
// scripted routes, and tests steer them and break things through the methods below.
// Self-contained: startReaderNetwork(opts) needs nothing else running.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { buildFrame, chunkRecords, encodeCardFrame, MAX_READER } from '../../protocols/card-reader/frame.js';
import { ALL_CARDS, CardFrameType, type PageCommand, type PageMode, type PageResult } from '../../protocols/card-reader/types.js';
import { ModbusSlaveServer, type ServerEndpoint } from '../modbus-server.js';
import { PtyPair } from '../pty-pair.js';
import { CardPopulation } from './cards.js';
import { ReaderNetworkError } from './errors.js';
import { FifoReaderDevice } from './fifo-reader.js';
import { ReaderLine, type ReaderLineStats } from './reader-line.js';
import { CardScriptSchema, type CardScriptInput, type RouteFile } from './routes.js';

export interface ReaderInput {
  address: number;
  name?: string;
  protocol?: 'framed' | 'modbus-fifo';
  /** Framed readers only; default true. */
  canPage?: boolean;
  power?: 'ac' | 'dc' | 'fault';
}

export interface ReaderNetworkOptions {
  readers: readonly ReaderInput[];
  /** Scripted cards (routes, SOS presses, low battery); tests may also add cards with move(). */
  cards?: readonly CardScriptInput[];
  seed?: number;
  /** Each reader reports the cards in its range this often (real ms). */
  reportIntervalMs?: number;
  /** Framed readers send a status frame with their first report and every Nth after. */
  statusEveryReports?: number;
  /** RS-485 line speed of the framed readers. */
  baudRate?: number;
  /** Scenario seconds per real second (routes are written in scenario seconds). */
  speed?: number;
  /**
   * Scenario seconds a card keeps signalling SOS after a press; never less than 2.5 report periods,
   * so a sped-up run cannot let a press fall between two reports.
   */
  sosHoldS?: number;
  /** Modbus-FIFO readers are served here (default Modbus TCP on 127.0.0.1, a free port). */
  modbusEndpoint?: ServerEndpoint;
  /** Folder for the PTY pair's links (default: a fresh temp folder). */
  ptyDir?: string;
  /**
   * How the gateway reaches the framed readers' line: a socat PTY pair (default), or an
   * RS-485-over-TCP converter listening on host:port (port 0: a free one, see `linePort`).
   */
  line?: ReaderLineEndpoint;
  /**
   * Scenario second the routes start at (default 0): a demo restarted on the same data dir resumes
   * its world where it stopped, so the cards are where the gateway's restored positions say.
   */
  startAtS?: number;
}

export type ReaderLineEndpoint = { type: 'pty' } | { type: 'tcp'; host?: string; port: number };

export const READER_NETWORK_DEFAULTS = {
  seed: 1,
  reportIntervalMs: 1_000,
  statusEveryReports: 10,
  baudRate: 9_600,
  speed: 1,
  sosHoldS: 10,
  /** A reader's processing time between the end of a page command and the start of its ack. */
  pageProcessingMs: 2,
} as const;

export interface PageEvent {
  reader: number;
  tag: number;
  mode: PageMode;
  /** What the reader answered; null when it stayed silent (offline, ignoring pages, or unknown). */
  result: PageResult | null;
  scenarioTime: number;
}

export interface ReaderNetworkStats extends ReaderLineStats {
  /** Report rounds run, over all readers. */
  reports: number;
  pages: number;
}

interface SimReader {
  address: number;
  name: string;
  protocol: 'framed' | 'modbus-fifo';
  canPage: boolean;
  power: 'ac' | 'dc' | 'fault';
  seq: number;
  reports: number;
  offline: boolean;
  ignorePages: boolean;
  fifo: FifoReaderDevice | null;
}

/** Events: 'page' (PageEvent), 'line-down' (err | undefined: the PTY went away). */
export class ReaderNetwork extends EventEmitter<{ page: [PageEvent]; 'line-down': [Error | undefined] }> {
  private readonly readers = new Map<number, SimReader>();
  private readonly population: CardPopulation;
  private readonly reportIntervalMs: number;
  private readonly statusEveryReports: number;
  private readonly baudRate: number;
  private readonly speed: number;
  private readonly modbusEndpoint: ServerEndpoint;
  private readonly ptyDir: string | undefined;
  private readonly lineEndpoint: ReaderLineEndpoint;
  private pair: PtyPair | null = null;
  private line: ReaderLine | null = null;
  private server: ModbusSlaveServer | null = null;
  private boundModbusPort: number | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private t0 = performance.now();
  private readonly startAtS: number;
  private running = false;
  private reportRounds = 0;
  /** Every page command heard on the line, answered or not. */
  readonly pages: PageEvent[] = [];

  constructor(options: ReaderNetworkOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new ReaderNetworkError('bad-option', `options must be an object, got ${String(options)}`);
    const o = { ...READER_NETWORK_DEFAULTS, ...options };
    const positive = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ReaderNetworkError('bad-option', `${name} must be a positive number, got ${String(v)}`, { option: name });
      return v;
    };
    this.reportIntervalMs = positive('reportIntervalMs', o.reportIntervalMs);
    this.statusEveryReports = positive('statusEveryReports', o.statusEveryReports);
    this.baudRate = positive('baudRate', o.baudRate);
    this.speed = positive('speed', o.speed);
    const startAt = options.startAtS ?? 0;
    if (typeof startAt !== 'number' || !Number.isFinite(startAt) || startAt < 0) throw new ReaderNetworkError('bad-option', `startAtS must be a number of seconds >= 0, got ${String(options.startAtS)}`, { option: 'startAtS' });
    this.startAtS = startAt;
    if (!Number.isInteger(this.statusEveryReports)) throw new ReaderNetworkError('bad-option', `statusEveryReports must be an integer, got ${this.statusEveryReports}`, { option: 'statusEveryReports' });
    this.modbusEndpoint = o.modbusEndpoint ?? { type: 'tcp', port: 0 };
    this.ptyDir = o.ptyDir;
    this.lineEndpoint = o.line ?? { type: 'pty' };
    if (this.lineEndpoint.type !== 'pty' && this.lineEndpoint.type !== 'tcp') {
      throw new ReaderNetworkError('bad-option', `line.type must be pty or tcp, got ${String((this.lineEndpoint as { type: unknown }).type)}`, { option: 'line' });
    }
    if (this.lineEndpoint.type === 'tcp' && (!Number.isInteger(this.lineEndpoint.port) || this.lineEndpoint.port < 0 || this.lineEndpoint.port > 65_535)) {
      throw new ReaderNetworkError('bad-option', `line.port must be an integer 0..65535, got ${String(this.lineEndpoint.port)}`, { option: 'line' });
    }
    if (!Array.isArray(o.readers) || o.readers.length === 0) throw new ReaderNetworkError('bad-option', 'readers must be a non-empty array', { option: 'readers' });
    for (const r of o.readers) {
      const protocol = r.protocol ?? 'framed';
      const max = protocol === 'framed' ? MAX_READER : 247;
      if (!Number.isInteger(r.address) || r.address < 1 || r.address > max) {
        throw new ReaderNetworkError('bad-option', `${protocol} reader address must be an integer 1..${max}, got ${String(r.address)}`, { option: 'readers' });
      }
      if (this.readers.has(r.address)) throw new ReaderNetworkError('bad-option', `reader address ${r.address} appears twice`, { option: 'readers' });
      if (protocol !== 'framed' && protocol !== 'modbus-fifo') throw new ReaderNetworkError('bad-option', `reader protocol must be framed or modbus-fifo, got ${String(protocol)}`, { option: 'readers' });
      const power = r.power ?? 'ac';
      this.readers.set(r.address, {
        address: r.address,
        name: r.name ?? `reader-${r.address}`,
        protocol,
        canPage: protocol === 'framed' && (r.canPage ?? true),
        power,
        seq: 0,
        reports: 0,
        offline: false,
        ignorePages: false,
        fifo: protocol === 'modbus-fifo' ? new FifoReaderDevice({ unit: r.address, baudRate: this.baudRate }) : null,
      });
    }
    const scripts = (o.cards ?? []).map((c, i) => {
      const parsed = CardScriptSchema.safeParse(c);
      if (!parsed.success) throw new ReaderNetworkError('bad-option', `cards[${i}]: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`, { option: 'cards' });
      for (const stop of parsed.data.route) {
        if (!this.readers.has(stop.reader)) throw new ReaderNetworkError('bad-option', `cards[${i}] (tag ${parsed.data.tag}) visits reader ${stop.reader}, which is not in readers`, { option: 'cards' });
      }
      return parsed.data;
    });
    try {
      const minHoldS = ((2.5 * this.reportIntervalMs) / 1000) * this.speed;
      this.population = new CardPopulation(scripts, { seed: o.seed, sosHoldS: Math.max(positive('sosHoldS', o.sosHoldS), minHoldS) });
    } catch (err) {
      throw new ReaderNetworkError('bad-option', (err as Error).message, { option: 'cards' });
    }
  }

  /** Gateway end of the RS-485 PTY (open it with a SerialLink); null when there are no framed readers or the line is TCP. */
  get serialPath(): string | null {
    return this.pair?.masterPath ?? null;
  }

  /** TCP port of the RS-485-over-TCP line (open it with a TcpLink); null unless `line` is tcp. */
  get linePort(): number | null {
    return this.lineEndpoint.type === 'tcp' ? (this.line?.tcpPort ?? null) : null;
  }

  /** TCP port of the Modbus server (Modbus-FIFO readers); null when there are none or it is not TCP. */
  get modbusPort(): number | null {
    return this.boundModbusPort;
  }

  get baud(): number {
    return this.baudRate;
  }

  /** Seconds of scenario time since start (routes are written in it). */
  get scenarioTime(): number {
    return ((performance.now() - this.t0) / 1000) * this.speed;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) throw new ReaderNetworkError('bad-state', 'the reader network is already running');
    const framed = [...this.readers.values()].some((r) => r.protocol === 'framed');
    const fifos = [...this.readers.values()].flatMap((r) => (r.fifo ? [r.fifo] : []));
    try {
      if (framed && this.lineEndpoint.type === 'tcp') {
        this.line = new ReaderLine({ path: '', tcp: { host: this.lineEndpoint.host ?? '127.0.0.1', port: this.lineEndpoint.port }, baudRate: this.baudRate });
        this.line.on('command', (cmd) => this.onPage(cmd));
        await this.line.start();
      } else if (framed) {
        this.pair = await PtyPair.create({ ...(this.ptyDir ? { dir: this.ptyDir } : {}), names: ['readers-gateway', 'readers-sim'] });
        this.line = new ReaderLine({ path: this.pair.slavePath, baudRate: this.baudRate });
        this.line.on('command', (cmd) => this.onPage(cmd));
        this.line.on('close', (err) => this.emit('line-down', err));
        await this.line.start();
      }
      if (fifos.length > 0) {
        this.server = new ModbusSlaveServer(this.modbusEndpoint, fifos);
        const { port } = await this.server.start();
        this.boundModbusPort = port ?? null;
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.running = true;
    this.t0 = performance.now() - (this.startAtS / this.speed) * 1000;
    // Readers report in their own slot of the period, in address order, so the line is shared evenly.
    const list = [...this.readers.values()].sort((a, b) => a.address - b.address);
    list.forEach((reader, i) => {
      const first = setTimeout(() => {
        this.timers.delete(first);
        this.report(reader);
        const every = setInterval(() => this.report(reader), this.reportIntervalMs);
        this.timers.add(every);
      }, (this.reportIntervalMs * i) / list.length);
      this.timers.add(first);
    });
  }

  /** Stops every reader, the line, the PTY pair and the Modbus server. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.line?.stop();
    this.line?.removeAllListeners();
    this.line = null;
    await this.server?.stop();
    this.server = null;
    this.boundModbusPort = null;
    await this.pair?.dispose();
    this.pair = null;
  }

  // ---------------------------------------------------------------- steering cards

  /** Put a card (created if new) in `reader`'s range, or out of every range (null). Overrides its route. */
  move(tag: number, reader: number | null): void {
    if (reader !== null) this.simReader(reader);
    try {
      this.population.move(tag, reader);
    } catch (err) {
      throw new ReaderNetworkError('unknown-card', (err as Error).message, { tag });
    }
  }

  /** Press the card's SOS button now (double: the double-press). Signalled for sosHoldS. */
  pressSos(tag: number, opts: { double?: boolean } = {}): void {
    this.withCard(tag, () => this.population.pressSos(tag, this.scenarioTime, opts.double ?? false));
  }

  clearSos(tag: number): void {
    this.withCard(tag, () => this.population.clearSos(tag));
  }

  setLowBattery(tag: number, on = true): void {
    this.withCard(tag, () => this.population.setLowBattery(tag, on));
  }

  /** A dead card: no reader hears it any more (on=false: it comes back). */
  silence(tag: number, on = true): void {
    this.withCard(tag, () => this.population.silence(tag, on));
  }

  /** A cloned copy of the card shows up at `reader` too (on=false removes it). */
  cloneTag(tag: number, reader: number, on = true): void {
    this.simReader(reader);
    this.withCard(tag, () => this.population.clone(tag, reader, on));
  }

  /** Tags `reader` hears now. */
  cardsAt(reader: number): number[] {
    this.simReader(reader);
    return this.population.tagsAt(reader, this.scenarioTime);
  }

  /** Where the card is now (its reader) or null. */
  locationOf(tag: number): number | null {
    return this.population.locationOf(tag, this.scenarioTime);
  }

  // ---------------------------------------------------------------- breaking readers and the line

  /** The reader stops (on) or resumes (off) all transmissions and answers. */
  readerOffline(reader: number, on = true): void {
    const r = this.simReader(reader);
    r.offline = on;
    if (r.fifo) r.fifo.offline = on;
  }

  /** A framed reader that hears page commands but never acks them. */
  ignorePages(reader: number, on = true): void {
    this.simReader(reader).ignorePages = on;
  }

  setPower(reader: number, power: 'ac' | 'dc' | 'fault'): void {
    const r = this.simReader(reader);
    r.power = power;
    if (r.fifo) r.fifo.power = power;
  }

  /**
   * Garbage on the line: random bytes; with a framed reader, a frame from it with a broken CRC
   * first (its sequence number is used up, as a real corrupted frame would be); with a Modbus reader,
   * its next reply is garbled instead.
   */
  injectGarbage(reader?: number, bytes = 64): void {
    if (!Number.isInteger(bytes) || bytes < 0) throw new ReaderNetworkError('bad-option', `garbage length must be a non-negative integer, got ${String(bytes)}`);
    if (reader !== undefined) {
      const r = this.simReader(reader);
      if (r.fifo) {
        r.fifo.faults.push('garbage');
        return;
      }
      const line = this.requireLine();
      const records = this.population.recordsAt(r.address, this.scenarioTime, r.reports);
      const frame = encodeCardFrame({ type: 'card-report', reader: r.address, seq: this.nextSeq(r), records: chunkRecords(records)[0]! });
      frame[frame.length - 1]! ^= 0xff;
      line.send(Buffer.concat([frame, randomBytes(bytes)]));
      return;
    }
    this.requireLine().send(randomBytes(bytes));
  }

  /** Raw bytes on the RS-485 line (they take their line time like any frame). */
  injectBytes(bytes: Buffer): void {
    this.requireLine().send(bytes);
  }

  /** Unplug the gateway's RS-485 adapter: the PTY pair goes away (TCP: the converter stops listening). */
  async unplug(): Promise<void> {
    if (this.lineEndpoint.type === 'tcp' && this.line) {
      await this.line.stop();
      this.emit('line-down', undefined);
      return;
    }
    if (!this.pair) throw new ReaderNetworkError('no-serial-line', 'this network has no framed readers, so no serial line');
    await this.pair.kill();
  }

  /** Plug it back in: a new PTY pair under the same path; the readers resume on it. */
  async replug(): Promise<void> {
    if (this.lineEndpoint.type === 'tcp' && this.line) {
      await this.line.start();
      return;
    }
    if (!this.pair || !this.line) throw new ReaderNetworkError('no-serial-line', 'this network has no framed readers, so no serial line');
    await this.pair.recreate();
    await this.line.start();
  }

  stats(): ReaderNetworkStats {
    const line = this.line?.stats() ?? { framesSent: 0, bytesSent: 0, dropped: 0 };
    return { ...line, reports: this.reportRounds, pages: this.pages.length };
  }

  /** The Modbus-FIFO device behind a reader (tests inspect its queue). */
  fifo(reader: number): FifoReaderDevice | null {
    return this.simReader(reader).fifo;
  }

  // ---------------------------------------------------------------- internals

  private simReader(address: number): SimReader {
    const r = this.readers.get(address);
    if (!r) throw new ReaderNetworkError('unknown-reader', `no reader ${String(address)}; readers are ${[...this.readers.keys()].join(', ')}`, { reader: address });
    return r;
  }

  private withCard(tag: number, fn: () => void): void {
    if (!this.population.has(tag)) throw new ReaderNetworkError('unknown-card', `no card with tag ${String(tag)}`, { tag });
    fn();
  }

  private requireLine(): ReaderLine {
    if (!this.line) throw new ReaderNetworkError('no-serial-line', 'this network has no framed readers, so no serial line');
    return this.line;
  }

  private nextSeq(r: SimReader): number {
    const seq = r.seq;
    r.seq = (r.seq + 1) & 0xff;
    return seq;
  }

  private report(r: SimReader): void {
    if (!this.running || r.offline) return;
    this.reportRounds++;
    r.reports++;
    const t = this.scenarioTime;
    const records = this.population.recordsAt(r.address, t, r.reports);
    if (r.fifo) {
      r.fifo.inRange = records.length;
      r.fifo.push(records);
      return;
    }
    const line = this.line;
    if (!line) return;
    if (r.reports % this.statusEveryReports === 1 || this.statusEveryReports === 1) {
      line.send(encodeCardFrame({ type: 'status', reader: r.address, seq: this.nextSeq(r), power: r.power, canPage: r.canPage, cardsInRange: records.length }));
    }
    for (const chunk of chunkRecords(records)) {
      line.send(encodeCardFrame({ type: 'card-report', reader: r.address, seq: this.nextSeq(r), records: chunk }));
    }
  }

  private onPage(cmd: PageCommand): void {
    const t = this.scenarioTime;
    const r = this.readers.get(cmd.reader);
    let result: PageResult | null = null;
    if (r && r.protocol === 'framed' && !r.offline && !r.ignorePages && this.line) {
      if (!r.canPage) result = 'unsupported';
      else result = cmd.tag === ALL_CARDS || this.population.heardBy(cmd.tag, r.address, t) ? 'delivered' : 'not-in-range';
      const ack = encodeCardFrame({ type: 'page-ack', reader: r.address, seq: this.nextSeq(r), commandSeq: cmd.seq, tag: cmd.tag, result });
      // The command itself took line time to arrive (the PTY delivered it at once), then the reader works on it.
      const commandBytes = buildFrame(cmd.reader, cmd.seq, CardFrameType.PageCard, Buffer.alloc(5)).length;
      this.line.send(ack, { urgent: true, leadMs: this.line.lineTimeMs(commandBytes) + READER_NETWORK_DEFAULTS.pageProcessingMs });
    }
    const event: PageEvent = { reader: cmd.reader, tag: cmd.tag, mode: cmd.mode, result, scenarioTime: t };
    this.pages.push(event);
    this.emit('page', event);
  }
}

/** Build and start a reader network. On failure everything it started is stopped again. */
export async function startReaderNetwork(options: ReaderNetworkOptions): Promise<ReaderNetwork> {
  const network = new ReaderNetwork(options);
  await network.start();
  return network;
}

/** Network options for a validated route file (simulator/personnel/routes.ts). */
export function networkOptionsFromRoutes(routes: RouteFile, overrides: Partial<ReaderNetworkOptions> = {}): ReaderNetworkOptions {
  return {
    readers: routes.readers.map((r) => ({ address: r.address, name: r.name, protocol: r.protocol, power: r.power, ...(r.canPage === undefined ? {} : { canPage: r.canPage }) })),
    cards: routes.cards,
    seed: routes.seed,
    reportIntervalMs: routes.reportIntervalS * 1000,
    baudRate: routes.baudRate,
    ...overrides,
  };
}
