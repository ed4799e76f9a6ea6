// The card readers the personnel capability listens to: the framed RS-485 line (a serial port or an
// RS-485-over-TCP converter), which also pages cards, and Modbus-FIFO readers polled on the
// gateway's buses, which cannot. Their sightings and station states go to the sink with the reader
// addresses the engine knows stations by. A line that is down at start is not fatal: it reopens.
import { loadProfile } from '../../board-configs/profiles.js';
import type { FifoReaderConfig, ReaderLinkConfig } from '../../board-configs/personnel-schema.js';
import { CardReaderFifoDriver } from '../../drivers/card-reader-modbus.js';
import { CardReaderBus } from '../../drivers/card-reader-serial.js';
import type { CardSighting, ReaderPower, ReaderStateChange } from '../../protocols/card-reader/types.js';
import type { Link } from '../../protocols/links/link.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import type { CapabilityContext } from '../capability.js';
import type { Logger } from '../log.js';
import { CARD_READER_FIFO_PROFILE } from './reader-wiring.js';
import type { PageReason } from './views.js';

/** Where the readers' input goes (the capability, which feeds the engine while it runs). */
export interface ReaderInputSink {
  sightings(sightings: readonly CardSighting[]): void;
  /** A station went on- or offline (the driver's liveness), with the power it last reported. */
  readerChange(change: ReaderStateChange, power: ReaderPower | null): void;
  /** A framed reader's status frame: its power, and whether the line holds it online. */
  readerStatus(reader: number, online: boolean, power: ReaderPower): void;
}

interface FifoGroup {
  busId: string;
  driver: CardReaderFifoDriver;
  /** Modbus unit → station reader address. */
  readerOfUnit: Map<number, number>;
}

export class PersonnelReaders {
  private bus: CardReaderBus | undefined;
  private lineReaders = new Set<number>();
  private readonly fifoGroups: FifoGroup[] = [];
  private readonly pageCounters = { sent: 0, delivered: 0, failed: 0, notPageable: 0 };

  constructor(
    private readonly ctx: CapabilityContext,
    private readonly log: Logger,
    private readonly sink: ReaderInputSink,
    private readonly readerCheckIntervalMs: number | undefined,
  ) {}

  /** The framed line, for the status screen. */
  line(): { description: string; open: boolean } | null {
    return this.bus ? { description: this.bus.link.description, open: this.bus.isOpen } : null;
  }

  pages(): { sent: number; delivered: number; failed: number; notPageable: number } {
    return { ...this.pageCounters };
  }

  viaOf(reader: number): 'line' | 'fifo' | 'none' {
    if (this.lineReaders.has(reader)) return 'line';
    if (this.fifoGroups.some((g) => [...g.readerOfUnit.values()].includes(reader))) return 'fifo';
    return 'none';
  }

  async openLine(link: ReaderLinkConfig, addresses: readonly number[], offlineAfterMs: number, pageTimeoutMs: number): Promise<void> {
    this.lineReaders = new Set(addresses);
    const bus = new CardReaderBus({
      link: buildLink(link),
      readers: addresses,
      offlineAfterMs,
      pageTimeoutMs,
      clock: this.ctx.clock,
      ...(this.readerCheckIntervalMs !== undefined ? { checkIntervalMs: this.readerCheckIntervalMs } : {}),
    });
    this.bus = bus;
    bus.on('sightings', (sightings) => this.sink.sightings(sightings));
    bus.on('reader', (change) => this.sink.readerChange(change, bus.reader(change.reader)?.power ?? null));
    bus.on('status', (s) => this.sink.readerStatus(s.reader, bus.reader(s.reader)?.online ?? true, s.power));
    bus.on('open', () => this.log.info({ link: bus.link.description }, 'reader line open'));
    bus.on('close', (err?: Error) => this.log.warn({ link: bus.link.description, err: err?.message }, 'reader line down: every station on it is offline; reopening'));
    // A line that is down at start is not fatal: the bus keeps reopening, its stations show offline.
    await bus.open().catch((err: Error) => this.log.warn({ err: err.message }, 'reader line not available yet; retrying in the background'));
  }

  startFifo(fifo: readonly FifoReaderConfig[], offlineAfterMs: number, pollMs: number): void {
    const ctx = this.ctx;
    const byBus = new Map<string, Map<number, number>>();
    for (const f of fifo) {
      const device = ctx.loaded.devicesById.get(f.device)!;
      const units = byBus.get(device.bus) ?? new Map<number, number>();
      units.set(device.unit, f.reader);
      byBus.set(device.bus, units);
    }
    for (const [busId, readerOfUnit] of byBus) {
      const profile = ctx.loaded.profiles.get(CARD_READER_FIFO_PROFILE);
      const driver = new CardReaderFifoDriver({
        master: ctx.master(busId),
        readers: [...readerOfUnit.keys()],
        pollMs,
        offlineAfterMs,
        clock: ctx.clock,
        profile: profile ?? loadProfile(CARD_READER_FIFO_PROFILE),
      });
      const group: FifoGroup = { busId, driver, readerOfUnit };
      // Units are Modbus addresses on that bus; the engine knows stations by reader address.
      driver.on('sightings', (sightings) => this.sink.sightings(sightings.map((s) => ({ ...s, reader: readerOfUnit.get(s.reader) ?? s.reader }))));
      driver.on('reader', (change) => {
        const reader = readerOfUnit.get(change.reader);
        if (reader !== undefined) this.sink.readerChange({ ...change, reader }, driver.reader(change.reader)?.power ?? null);
      });
      driver.on('loss', (loss) => this.log.warn({ bus: busId, unit: loss.reader, records: loss.count }, 'a Modbus-FIFO reader dropped card records (its queue overflowed)'));
      this.fifoGroups.push(group);
      driver.start();
    }
  }

  /** Page a card down the framed line (evacuate, or call to acknowledge); counted, never thrown. */
  page(page: { tag: number; reader: number | null; reason: PageReason }): void {
    const bus = this.bus;
    const mode = page.reason === 'evacuate' ? 'evacuate' : 'call';
    if (page.reader !== null && !this.lineReaders.has(page.reader)) {
      // Modbus-FIFO readers have no downlink: the card is warned by the area's sirens only.
      this.pageCounters.notPageable++;
      this.log.warn({ tag: page.tag, reader: page.reader, reason: page.reason }, `card ${page.tag} not paged: reader ${page.reader} cannot page (Modbus-FIFO)`);
      return;
    }
    if (!bus) {
      this.pageCounters.notPageable++;
      this.log.warn({ tag: page.tag, reason: page.reason }, `card ${page.tag} not paged: no framed reader line on this gateway`);
      return;
    }
    // Unknown position: try every reader on the line; all but one answer "not in range".
    const targets = page.reader !== null ? [page.reader] : [...this.lineReaders];
    for (const reader of targets) {
      this.pageCounters.sent++;
      bus.page(reader, page.tag, { mode }).then(
        () => {
          this.pageCounters.delivered++;
          this.log.info({ tag: page.tag, reader, reason: page.reason }, `card ${page.tag} paged via reader ${reader}`);
        },
        (err: Error & { code?: string }) => {
          this.pageCounters.failed++;
          const level = page.reader === null && err.code === 'page-rejected' ? 'debug' : 'warn';
          this.log[level]({ tag: page.tag, reader, reason: page.reason, code: err.code, err: err.message }, `page of card ${page.tag} via reader ${reader} failed`);
        },
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.fifoGroups.map((g) => g.driver.stop()));
    this.fifoGroups.length = 0;
    await this.bus?.close().catch((err: Error) => this.log.warn({ err: err.message }, 'reader line did not close cleanly'));
    this.bus = undefined;
  }
}

function buildLink(link: ReaderLinkConfig): Link {
  if (link.type === 'serial') return new SerialLink({ path: link.path, baudRate: link.baudRate, parity: link.parity, dataBits: link.dataBits, stopBits: link.stopBits });
  return new TcpLink({ host: link.host, port: link.port, connectTimeoutMs: link.connectTimeoutMs });
}
