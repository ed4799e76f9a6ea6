import { monotonicMs } from '../../core/clock.js';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { CardReaderBus, type CardReaderBusOptions } from '../../drivers/card-reader-serial.js';
import { ALL_CARDS, type CardSighting, type ReaderLoss, type ReaderStateChange, type ReaderStatus } from '../../protocols/card-reader/types.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { lineTimeMs } from '../../protocols/modbus/line-timing.js';
import { type ReaderNetworkOptions, startReaderNetwork, type ReaderNetwork } from '../../simulator/personnel/reader-network.js';
import { waitFor } from '../helpers/wait-for.js';
import { Cleanup, outcome } from '../protocols/fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Rig {
  net: ReaderNetwork;
  bus: CardReaderBus;
  sightings: CardSighting[];
  changes: ReaderStateChange[];
  losses: ReaderLoss[];
  statuses: ReaderStatus[];
}

const REPORT_MS = 100;

/** A simulated reader line on a socat PTY, and our bus driver on the gateway end of it. */
async function rig(net: Partial<ReaderNetworkOptions> = {}, bus: Partial<CardReaderBusOptions> = {}): Promise<Rig> {
  const network = await startReaderNetwork({
    readers: [
      { address: 1, name: 'main-shaft-mouth' },
      { address: 2, name: '3101-face' },
    ],
    reportIntervalMs: REPORT_MS,
    baudRate: 19_200,
    ...net,
  });
  cleanup.add(() => network.stop(), null);
  const driver = new CardReaderBus({
    link: new SerialLink({ path: network.serialPath!, baudRate: network.baud, presenceCheckMs: 50 }),
    readers: [1, 2],
    offlineAfterMs: 500,
    reopenMinMs: 20,
    reopenMaxMs: 100,
    ...bus,
  });
  cleanup.add(() => driver.close(), null);
  const r: Rig = { net: network, bus: driver, sightings: [], changes: [], losses: [], statuses: [] };
  driver.on('sightings', (s) => r.sightings.push(...s));
  driver.on('reader', (c) => r.changes.push(c));
  driver.on('loss', (l) => r.losses.push(l));
  driver.on('status', (s) => r.statuses.push(s));
  await driver.open();
  return r;
}

const seen = (r: Rig, reader: number, tag: number, from = 0): CardSighting | undefined => r.sightings.slice(from).find((s) => s.reader === reader && s.tag === tag);

describe('CardReaderBus over a socat PTY against the simulated reader network', () => {
  it('turns reports into sightings for the right reader, with status and liveness', async () => {
    const r = await rig();
    r.net.move(1001, 1);
    r.net.move(1002, 2);
    r.net.move(1003, null); // a card out of every reader's range is reported by nobody
    const a = await waitFor(() => seen(r, 1, 1001), { timeoutMs: 3_000, what: 'tag 1001 at reader 1' });
    const b = await waitFor(() => seen(r, 2, 1002), { timeoutMs: 3_000, what: 'tag 1002 at reader 2' });
    for (const s of [a, b]) {
      expect(Math.abs(s.distanceM)).toBeGreaterThan(0);
      expect(Math.abs(s.distanceM)).toBeLessThanOrEqual(41);
      expect(s.rssi).toBeLessThan(-20);
      expect(s.rssi).toBeGreaterThan(-128);
      expect(s).toMatchObject({ lowBattery: false, sos: false, sosDouble: false });
      expect(s.wallTime).toBeGreaterThan(Date.now() - 10_000);
      expect(s.monoTime).toBeLessThanOrEqual(monotonicMs());
    }
    expect(r.sightings.some((s) => s.tag === 1003)).toBe(false);
    expect(r.sightings.some((s) => s.tag === 1001 && s.reader !== 1)).toBe(false);
    expect(r.changes.filter((c) => c.online).map((c) => c.reader).sort()).toEqual([1, 2]);
    await waitFor(() => r.statuses.length >= 2, { timeoutMs: 3_000, what: 'status frames' });
    expect(r.bus.reader(1)).toMatchObject({ online: true, power: 'ac', canPage: true, lost: 0 });
    expect(r.bus.stats()).toMatchObject({ missedFrames: 0, duplicates: 0 });
    expect(r.bus.stats().parser.badCrc).toBe(0);
  });

  it('follows a card from reader to reader, and reports SOS (single and double) and low battery', async () => {
    const r = await rig();
    r.net.move(7, 1);
    await waitFor(() => seen(r, 1, 7), { timeoutMs: 3_000, what: 'tag 7 at reader 1' });
    r.net.move(7, 2);
    const mark = r.sightings.length;
    await waitFor(() => seen(r, 2, 7, mark), { timeoutMs: 3_000, what: 'tag 7 at reader 2' });
    // After the move settles, reader 1 no longer reports it.
    const settled = r.sightings.length;
    await waitFor(() => r.sightings.slice(settled).filter((s) => s.reader === 2 && s.tag === 7).length >= 3, { timeoutMs: 3_000, what: 'three more reports' });
    expect(r.sightings.slice(settled).some((s) => s.reader === 1 && s.tag === 7)).toBe(false);

    r.net.pressSos(7);
    await waitFor(() => r.sightings.find((s) => s.tag === 7 && s.sos && !s.sosDouble), { timeoutMs: 3_000, what: 'single SOS' });
    r.net.clearSos(7);
    r.net.pressSos(7, { double: true });
    await waitFor(() => r.sightings.find((s) => s.tag === 7 && s.sos && s.sosDouble), { timeoutMs: 3_000, what: 'double SOS' });
    r.net.setLowBattery(7);
    await waitFor(() => r.sightings.find((s) => s.tag === 7 && s.lowBattery), { timeoutMs: 3_000, what: 'low battery' });
  });

  it('a dead card disappears; a cloned card is seen at two readers at once', async () => {
    const r = await rig();
    r.net.move(50, 1);
    r.net.move(51, 1);
    await waitFor(() => seen(r, 1, 50) && seen(r, 1, 51), { timeoutMs: 3_000, what: 'both cards' });
    r.net.silence(50);
    r.net.cloneTag(51, 2);
    const mark = r.sightings.length;
    await waitFor(() => seen(r, 2, 51, mark), { timeoutMs: 3_000, what: 'clone of 51 at reader 2' });
    await waitFor(() => r.sightings.slice(mark).filter((s) => s.reader === 1 && s.tag === 51).length >= 3, { timeoutMs: 3_000, what: 'original still at reader 1' });
    // Reports in flight when silence() was called may still carry tag 50; later ones never do.
    const late = r.sightings.slice(mark + 4);
    expect(late.some((s) => s.tag === 50)).toBe(false);
  });

  it('survives garbage on the line: counts the broken frame, reports the lost frame, keeps the link', async () => {
    const r = await rig();
    r.net.move(1001, 1);
    await waitFor(() => seen(r, 1, 1001), { timeoutMs: 3_000, what: 'first sighting' });
    const opens = r.bus.stats().reopens;
    r.net.injectGarbage(undefined, 200);
    r.net.injectGarbage(1, 100); // a report from reader 1 with a broken CRC, then noise
    r.net.injectBytes(Buffer.from([0xa5, 0x5a, 0xf0, 0x01])); // a false start that never completes
    await waitFor(() => r.bus.stats().parser.badCrc >= 1, { timeoutMs: 5_000, what: 'the broken frame to be rejected' });
    await waitFor(() => r.losses.some((l) => l.reader === 1 && l.unit === 'frames'), { timeoutMs: 5_000, what: 'the lost frame of reader 1' });
    const mark = r.sightings.length;
    await waitFor(() => seen(r, 1, 1001, mark), { timeoutMs: 3_000, what: 'sightings after the garbage' });
    const s = r.bus.stats();
    expect(s.parser.discardedBytes).toBeGreaterThanOrEqual(300);
    expect(s.reopens).toBe(opens);
    expect(r.bus.isOpen).toBe(true);
    expect(r.bus.reader(1)).toMatchObject({ online: true });
    expect(r.bus.reader(1)!.lost).toBeGreaterThanOrEqual(1);
    // The noise may not be mistaken for readers, and the false start did not hold frames back long
    // enough for a reader to look silent.
    expect(r.bus.readers().map((x) => x.reader)).toEqual([1, 2]);
    expect(r.changes.filter((c) => !c.online)).toEqual([]);
    expect(s.parser.abandoned).toBeGreaterThanOrEqual(1);
  });

  it('a long garbage burst jams the line: readers go offline, then come back without reopening the link', async () => {
    const r = await rig();
    r.net.move(1001, 1);
    await waitFor(() => seen(r, 1, 1001), { timeoutMs: 3_000, what: 'first sighting' });
    const mark = r.changes.length;
    // 3000 bytes hold the 19200-baud line for about 1.6 s, longer than the 500 ms offline limit.
    r.net.injectGarbage(undefined, 3_000);
    await waitFor(() => r.changes.slice(mark).find((c) => c.reader === 1 && !c.online && c.reason === 'silent'), { timeoutMs: 5_000, what: 'reader 1 offline' });
    await waitFor(() => r.changes.slice(mark).find((c) => c.reader === 1 && c.online), { timeoutMs: 5_000, what: 'reader 1 back' });
    const after = r.sightings.length;
    await waitFor(() => seen(r, 1, 1001, after), { timeoutMs: 3_000, what: 'sightings after the burst' });
    expect(r.bus.stats().parser.discardedBytes).toBeGreaterThanOrEqual(3_000);
    expect(r.bus.stats().reopens).toBe(0);
  });

  it('a silent reader goes offline within the limit, the other stays online, and it comes back when heard', async () => {
    const r = await rig();
    await waitFor(() => r.bus.reader(1)?.online && r.bus.reader(2)?.online, { timeoutMs: 3_000, what: 'both readers online' });
    r.net.readerOffline(2);
    const silencedAt = performance.now();
    const down = await waitFor(() => r.changes.find((c) => c.reader === 2 && !c.online), { timeoutMs: 3_000, what: 'reader 2 offline' });
    const took = performance.now() - silencedAt;
    expect(down.reason).toBe('silent');
    // Its last frame was at most one report period before the silence; detection is checked every 100 ms.
    expect(took).toBeGreaterThanOrEqual(500 - REPORT_MS - 20);
    expect(took).toBeLessThan(500 + 100 + 300);
    expect(r.bus.reader(1)!.online).toBe(true);
    expect(r.bus.reader(2)!.online).toBe(false);
    r.net.readerOffline(2, false);
    const up = await waitFor(() => r.changes.find((c) => c.reader === 2 && c.online && c.monoTime > down.monoTime), { timeoutMs: 3_000, what: 'reader 2 back' });
    expect(up.reason).toBe('frame');
    // The reader that kept reporting was never taken offline.
    expect(r.changes.filter((c) => c.reader === 1 && !c.online)).toEqual([]);
  });

  it('an expected reader that never speaks is reported offline, never heard', async () => {
    const r = await rig({}, { readers: [1, 2, 9] });
    await waitFor(() => r.bus.reader(1)?.online, { timeoutMs: 3_000, what: 'reader 1' });
    expect(r.bus.reader(9)).toMatchObject({ online: false, lastHeardMono: null, lastHeardWall: null });
  });

  it('pages a card and resolves on the ack; a card elsewhere, a mute reader and a reader that cannot page are typed errors', async () => {
    const r = await rig({
      baudRate: 9_600,
      readers: [
        { address: 1, name: 'shaft' },
        { address: 2, name: 'face' },
        { address: 3, name: 'old-reader', canPage: false },
      ],
    });
    r.net.move(1001, 1);
    await waitFor(() => r.bus.reader(1)?.canPage && r.bus.reader(3)?.canPage === false, { timeoutMs: 3_000, what: 'status of readers 1 and 3' });
    const started = performance.now();
    const ack = await r.bus.page(1, 1001);
    const took = performance.now() - started;
    expect(ack).toMatchObject({ type: 'page-ack', reader: 1, tag: 1001, result: 'delivered' });
    // Command (13 bytes) and ack (14 bytes) both cross a 9600-baud line; reports may be queued ahead of neither.
    expect(took).toBeGreaterThanOrEqual(lineTimeMs(27, { baudRate: 9600 }) - 1);
    expect(r.net.pages.at(-1)).toMatchObject({ reader: 1, tag: 1001, mode: 'call', result: 'delivered' });

    expect(await r.bus.page(2, ALL_CARDS, { mode: 'evacuate' })).toMatchObject({ result: 'delivered' });
    expect(r.net.pages.at(-1)).toMatchObject({ reader: 2, tag: ALL_CARDS, mode: 'evacuate' });

    const elsewhere = await outcome(r.bus.page(2, 1001));
    expect(elsewhere).toMatchObject({ ok: false, code: 'page-rejected' });
    expect((elsewhere as { error: { result?: string } }).error.result).toBe('not-in-range');

    expect(await outcome(r.bus.page(3, 1001))).toMatchObject({ ok: false, code: 'page-unsupported' });

    r.net.ignorePages(1);
    const t0 = performance.now();
    expect(await outcome(r.bus.page(1, 1001, { timeoutMs: 300 }))).toMatchObject({ ok: false, code: 'page-timeout' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
    expect(r.bus.stats().pageTimeouts).toBe(1);

    expect(await outcome(r.bus.page(9, 1001))).toMatchObject({ ok: false, code: 'reader-offline' });
    expect(await outcome(r.bus.page(0, 1001))).toMatchObject({ ok: false, code: 'bad-request' });
    expect(await outcome(r.bus.page(1, -5))).toMatchObject({ ok: false, code: 'bad-request' });
  });

  it('reconnects after the adapter is unplugged and plugged back (PTY killed and recreated)', async () => {
    const r = await rig();
    r.net.move(1001, 1);
    await waitFor(() => seen(r, 1, 1001) && r.bus.reader(2)?.online, { timeoutMs: 3_000, what: 'first sighting, both readers online' });
    const pendingPage = outcome(r.bus.page(1, 1001, { timeoutMs: 5_000 }));
    const closed = once(r.bus, 'close');
    await r.net.unplug();
    await closed;
    expect(r.bus.isOpen).toBe(false);
    // Every reader on the line is unknown at once, and a page waiting for its ack fails as offline.
    const linkDown = r.changes.filter((c) => c.reason === 'link-down').map((c) => c.reader).sort();
    expect(linkDown).toEqual([1, 2]);
    expect(await pendingPage).toMatchObject({ ok: false });
    expect(await outcome(r.bus.page(1, 1001))).toMatchObject({ ok: false, code: 'offline' });

    const reopened = once(r.bus, 'open');
    await r.net.replug();
    await reopened;
    const mark = r.sightings.length;
    await waitFor(() => seen(r, 1, 1001, mark), { timeoutMs: 5_000, what: 'sightings after replug' });
    expect(r.bus.stats().reopens).toBeGreaterThanOrEqual(1);
    await waitFor(() => r.bus.reader(1)?.online, { timeoutMs: 3_000, what: 'reader 1 back online' });
  });

  it('close() marks every reader offline and stops; validates its options', async () => {
    const r = await rig();
    await waitFor(() => r.bus.reader(1)?.online, { timeoutMs: 3_000, what: 'reader 1' });
    await r.bus.close();
    expect(r.bus.readers().every((x) => !x.online)).toBe(true);
    expect(r.changes.filter((c) => c.reason === 'closed').length).toBeGreaterThanOrEqual(1);
    const link = new SerialLink({ path: '/dev/null', baudRate: 9600 });
    expect(() => new CardReaderBus({ link, offlineAfterMs: 0 })).toThrow(/offlineAfterMs must be a positive number of ms, got 0/);
    expect(() => new CardReaderBus({ link, readers: [300] })).toThrow(/readers entry must be a reader address 1\.\.254, got 300/);
    expect(() => new CardReaderBus({ link, reopenMinMs: 500, reopenMaxMs: 100 })).toThrow(/reopenMaxMs \(100\) must be >= reopenMinMs \(500\)/);
    expect(() => new CardReaderBus({ link: {} as SerialLink })).toThrow(/must implement Link/);
  });
});
