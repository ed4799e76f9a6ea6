import { afterEach, describe, expect, it } from 'vitest';
import { CardReaderFifoDriver, type CardReaderFifoOptions } from '../../drivers/card-reader-modbus.js';
import type { ModbusPort } from '../../drivers/modbus-device.js';
import { loadProfile } from '../../board-configs/profiles.js';
import type { CardSighting, ReaderLoss, ReaderStateChange } from '../../protocols/card-reader/types.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { ModbusError } from '../../protocols/modbus/errors.js';
import { ModbusMaster } from '../../protocols/modbus/master.js';
import { startReaderNetwork, type ReaderNetwork } from '../../simulator/personnel/reader-network.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup } from '../protocols/fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Rig {
  net: ReaderNetwork;
  master: ModbusMaster;
  driver: CardReaderFifoDriver;
  sightings: CardSighting[];
  changes: ReaderStateChange[];
  losses: ReaderLoss[];
}

/** Two Modbus-FIFO readers served over Modbus TCP by the simulator, polled by our driver through our master. */
async function rig(opts: Partial<CardReaderFifoOptions> & { port?: (m: ModbusMaster) => ModbusPort } = {}): Promise<Rig> {
  const net = await startReaderNetwork({
    readers: [
      { address: 11, name: 'pump-room', protocol: 'modbus-fifo' },
      { address: 12, name: 'refuge-chamber', protocol: 'modbus-fifo' },
    ],
    reportIntervalMs: 100,
  });
  cleanup.add(() => net.stop(), null);
  const master = new ModbusMaster({ link: new TcpLink({ host: '127.0.0.1', port: net.modbusPort!, connectTimeoutMs: 1_000 }), framing: 'tcp', responseTimeoutMs: 150 });
  cleanup.add(() => master.close(), null);
  await master.open();
  const { port, ...driverOpts } = opts;
  const driver = new CardReaderFifoDriver({ master: port ? port(master) : master, readers: [11, 12], pollMs: 100, offlineAfterMs: 600, profile: loadProfile('card-reader-fifo'), ...driverOpts });
  cleanup.add(() => driver.stop(), null);
  const r: Rig = { net, master, driver, sightings: [], changes: [], losses: [] };
  driver.on('sightings', (s) => r.sightings.push(...s));
  driver.on('reader', (c) => r.changes.push(c));
  driver.on('loss', (l) => r.losses.push(l));
  return r;
}

const count = (r: Rig, reader: number, tag: number): number => r.sightings.filter((s) => s.reader === reader && s.tag === tag).length;

/** Let the card report for a while, take it out of range, and wait until the reader's FIFO is drained. */
async function reportThenDrain(r: Rig, reader: number, tag: number, reports: number): Promise<void> {
  r.net.move(tag, reader);
  await waitFor(() => r.net.fifo(reader)!.pushed >= reports, { timeoutMs: 5_000, what: `${reports} records queued` });
  r.net.move(tag, null);
  await waitFor(() => r.net.fifo(reader)!.queued === 0 && count(r, reader, tag) >= r.net.fifo(reader)!.pushed, { timeoutMs: 5_000, what: 'FIFO drained' });
}

describe('CardReaderFifoDriver against simulated Modbus-FIFO readers over TCP', () => {
  it('turns queued records into sightings, one per record, and pops them', async () => {
    const r = await rig();
    r.driver.start();
    await reportThenDrain(r, 11, 2001, 8);
    expect(count(r, 11, 2001)).toBe(r.net.fifo(11)!.pushed);
    expect(r.sightings.every((s) => s.reader === 11 && s.tag === 2001)).toBe(true);
    expect(r.changes.filter((c) => c.online).map((c) => c.reader).sort()).toEqual([11, 12]);
    expect(r.driver.reader(11)).toMatchObject({ online: true, power: 'ac', canPage: false, lost: 0 });
    expect(r.driver.stats()).toMatchObject({ duplicatesSkipped: 0, recordsLost: 0 });
  });

  it('decodes every field the reader encodes (tag words, signed RSSI, flags, side of the distance)', async () => {
    const r = await rig();
    const records = [
      { tag: 0xdeadbeef, rssi: -75, distanceM: -3.4, lowBattery: true, sos: true, sosDouble: true },
      { tag: 1, rssi: 5, distanceM: 6553.5, lowBattery: false, sos: true, sosDouble: false },
      { tag: 0x10000, rssi: -128, distanceM: 0, lowBattery: false, sos: false, sosDouble: false },
    ];
    r.net.fifo(12)!.push(records);
    await r.driver.pollOnce();
    expect(r.sightings.map(({ wallTime: _w, monoTime: _m, ...rest }) => rest)).toEqual(records.map((rec) => ({ reader: 12, ...rec })));
  });

  it('drains a backlog bigger than the window across polls, in order, without repeats', async () => {
    const r = await rig();
    const tags = Array.from({ length: 200 }, (_, i) => 5000 + i);
    r.net.fifo(11)!.push(tags.map((tag) => ({ tag, rssi: -60, distanceM: 5, lowBattery: false, sos: false })));
    await r.driver.pollOnce(); // at most 4 windows of 24
    expect(r.sightings.length).toBe(96);
    for (let i = 0; i < 3; i++) await r.driver.pollOnce();
    expect(r.sightings.map((s) => s.tag)).toEqual(tags);
    expect(r.net.fifo(11)!.queued).toBe(0);
  });

  it('an ack whose reply is lost, or that never arrives, neither loses nor repeats a record', async () => {
    let writes = 0;
    const r = await rig({
      port: (m) => ({
        read: (...a) => m.read(...a),
        async write(...a) {
          writes++;
          // Every 3rd ack: the reader pops, but the reply is lost. Every 5th: the request is lost.
          if (writes % 5 === 0) throw new ModbusError('timeout', 'ack request lost');
          await m.write(...a);
          if (writes % 3 === 0) throw new ModbusError('timeout', 'ack reply lost');
        },
      }),
    });
    r.driver.start();
    await reportThenDrain(r, 11, 3001, 15);
    expect(writes).toBeGreaterThanOrEqual(5);
    expect(count(r, 11, 3001)).toBe(r.net.fifo(11)!.pushed);
    expect(r.driver.stats().duplicatesSkipped).toBeGreaterThan(0);
  });

  it('garbled replies (wire noise) cost a poll, never a record or a repeat', async () => {
    const r = await rig();
    r.driver.start();
    r.net.move(3501, 11);
    for (let i = 0; i < 6; i++) {
      await waitFor(() => r.net.fifo(11)!.pushed >= 2 * (i + 1), { timeoutMs: 3_000, what: 'more records' });
      r.net.injectGarbage(11);
    }
    r.net.move(3501, null);
    await waitFor(() => r.net.fifo(11)!.queued === 0 && count(r, 11, 3501) >= r.net.fifo(11)!.pushed, { timeoutMs: 8_000, what: 'FIFO drained' });
    expect(count(r, 11, 3501)).toBe(r.net.fifo(11)!.pushed);
    expect(r.driver.stats().pollErrors).toBeGreaterThan(0);
  });

  it('reports records a full FIFO dropped while the gateway was away, then delivers the rest', async () => {
    const r = await rig();
    await r.driver.pollOnce(); // baseline of the overflow counter
    const fifo = r.net.fifo(11)!;
    const backlog = Array.from({ length: fifo.capacity + 88 }, (_, i) => ({ tag: 9000 + i, rssi: -70, distanceM: 2, lowBattery: false, sos: false }));
    fifo.push(backlog);
    expect(fifo.overflows).toBe(88);
    r.driver.start();
    await waitFor(() => r.losses.find((l) => l.reader === 11), { timeoutMs: 3_000, what: 'loss event' });
    expect(r.losses[0]).toMatchObject({ reader: 11, count: 88, unit: 'records' });
    await waitFor(() => fifo.queued === 0, { timeoutMs: 10_000, what: 'backlog drained' });
    const got = r.sightings.filter((s) => s.tag >= 9000).map((s) => s.tag);
    expect(got).toEqual(backlog.slice(88).map((b) => b.tag));
    expect(r.driver.reader(11)!.lost).toBe(88);
  });

  it('a reader that stops answering goes offline, the other stays online, and it comes back', async () => {
    const r = await rig();
    r.driver.start();
    await waitFor(() => r.driver.reader(11)?.online && r.driver.reader(12)?.online, { timeoutMs: 3_000, what: 'both online' });
    r.net.readerOffline(12);
    const down = await waitFor(() => r.changes.find((c) => c.reader === 12 && !c.online), { timeoutMs: 3_000, what: 'reader 12 offline' });
    expect(down.reason).toBe('silent');
    expect(r.driver.reader(11)!.online).toBe(true);
    expect(r.driver.stats().pollErrors).toBeGreaterThan(0);
    r.net.readerOffline(12, false);
    await waitFor(() => r.changes.find((c) => c.reader === 12 && c.online && c.monoTime > down.monoTime), { timeoutMs: 3_000, what: 'reader 12 back' });
    r.net.setPower(11, 'fault');
    await waitFor(() => r.driver.reader(11)?.power === 'fault', { timeoutMs: 3_000, what: 'power fault' });
    await r.driver.stop();
    expect(r.driver.readers().every((x) => !x.online)).toBe(true);
  });

  it('validates its options', async () => {
    const r = await rig();
    const m = r.master;
    expect(() => new CardReaderFifoDriver({ master: m, readers: [] })).toThrow(/non-empty array/);
    expect(() => new CardReaderFifoDriver({ master: m, readers: [248] })).toThrow(/1\.\.247, got 248/);
    expect(() => new CardReaderFifoDriver({ master: m, readers: [1, 1] })).toThrow(/must not repeat/);
    expect(() => new CardReaderFifoDriver({ master: m, readers: [1], pollMs: -1 })).toThrow(/pollMs must be a positive number, got -1/);
    const profile = { name: 'x', description: '', kind: 'card-reader', channels: { queued: { table: 'input', address: 0 } }, params: {} } as unknown as CardReaderFifoOptions['profile'];
    expect(() => new CardReaderFifoDriver({ master: m, readers: [1], profile })).toThrow(/needs the input-register channel "head-seq"/);
  });
});
