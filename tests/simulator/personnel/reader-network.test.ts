import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../board-configs/paths.js';
import { CardFrameParser } from '../../../protocols/card-reader/frame.js';
import type { CardFrame, CardReport } from '../../../protocols/card-reader/types.js';
import { SerialLink } from '../../../protocols/links/serial-link.js';
import { lineTimeMs } from '../../../protocols/modbus/line-timing.js';
import { networkOptionsFromRoutes, ReaderNetwork, startReaderNetwork } from '../../../simulator/personnel/reader-network.js';
import { loadRoutes } from '../../../simulator/personnel/routes.js';
import { waitFor } from '../../helpers/wait-for.js';
import { Cleanup } from '../../protocols/fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Heard {
  at: number;
  bytes: number;
  frame: CardFrame;
}

/** Listen on the gateway end of the line with a plain serial port and our parser. */
async function listen(net: ReaderNetwork): Promise<Heard[]> {
  const link = new SerialLink({ path: net.serialPath!, baudRate: net.baud });
  cleanup.add(() => link.close(), null);
  const parser = new CardFrameParser();
  const heard: Heard[] = [];
  link.on('data', (chunk: Buffer) => {
    const at = performance.now();
    const frames = parser.push(chunk);
    // A paced line delivers one chunk per frame; bytes 0 marks frames that came bunched together.
    for (const frame of frames) heard.push({ at, bytes: frames.length === 1 ? chunk.length : 0, frame });
  });
  await link.open();
  return heard;
}

describe('simulated reader network', () => {
  it('puts one frame on the line at a time, each taking its real time at the baud rate', async () => {
    const net = await startReaderNetwork({ readers: [{ address: 1 }, { address: 2 }], reportIntervalMs: 1_000, baudRate: 9_600 });
    // When the readers' clock started (slot 0 is reader 1, slot 500 ms is reader 2).
    const t0 = performance.now() - net.scenarioTime * 1000;
    cleanup.add(() => net.stop(), null);
    for (let tag = 1; tag <= 31; tag++) net.move(tag, 1);
    for (let tag = 101; tag <= 131; tag++) net.move(tag, 2);
    const heard = await listen(net);
    const reportOf = (reader: number) => heard.find((h) => h.frame.type === 'card-report' && h.frame.reader === reader);
    await waitFor(() => reportOf(1) && reportOf(2), { timeoutMs: 5_000, what: 'a report of each reader' });
    const line = (bytes: number) => lineTimeMs(bytes, { baudRate: 9600 });
    for (const [reader, slotMs] of [
      [1, 0],
      [2, 500],
    ] as const) {
      const h = reportOf(reader)!;
      expect((h.frame as CardReport).records).toHaveLength(31);
      // 31 records are 257 bytes: 268 ms at 9600 baud, after the reader's 12-byte status frame.
      // Arrival can be later than this (a busy event loop), never earlier than the timers allow:
      // libuv runs timers on a whole-millisecond clock, so each of the slot, status-frame and
      // report-frame timers may fire up to 1 ms before performance.now() says it is due (CI saw
      // 779.12 ms for a due time of 779.21 with a 1 ms allowance).
      expect(h.bytes).toBe(257);
      expect(h.at - t0).toBeGreaterThanOrEqual(slotMs + line(12) + line(257) - 3);
    }
    expect(net.stats()).toMatchObject({ dropped: 0 });
  });

  it('runs the demo shift: cards go down the shaft, reach the face, one presses SOS; the pump room queues records', async () => {
    const routes = loadRoutes(join(packageRoot(), 'simulator', 'scenarios', 'personnel-demo.yaml'));
    const net = await startReaderNetwork(networkOptionsFromRoutes(routes, { speed: 120, reportIntervalMs: 100, baudRate: 115_200 }));
    cleanup.add(() => net.stop(), null);
    expect(net.modbusPort).toBeGreaterThan(0);
    const heard = await listen(net);
    const reportsOf = (reader: number) => heard.filter((h) => h.frame.type === 'card-report' && h.frame.reader === reader).map((h) => h.frame as CardReport);
    await waitFor(() => reportsOf(2).some((r) => r.records.some((x) => x.tag === 100001)), { timeoutMs: 5_000, what: 'tag 100001 at the auxiliary shaft mouth' });
    await waitFor(() => reportsOf(5).some((r) => r.records.some((x) => x.tag === 100001)), { timeoutMs: 5_000, what: 'tag 100001 at the face' });
    await waitFor(() => net.fifo(8)!.pushed > 0, { timeoutMs: 5_000, what: 'pump-room records' });
    await waitFor(() => reportsOf(5).some((r) => r.records.some((x) => x.tag === 100004 && x.sos)), { timeoutMs: 8_000, what: 'the scripted SOS at the face' });
    expect(net.locationOf(100004)).toBe(5);
    // Nobody was heard by the main shaft reader: nobody rides it on this shift.
    expect(reportsOf(1).every((r) => r.records.length === 0)).toBe(true);
  });

  it('refuses bad options and unknown readers or cards with typed errors', async () => {
    expect(() => new ReaderNetwork({ readers: [] })).toThrow(expect.objectContaining({ code: 'bad-option' }));
    expect(() => new ReaderNetwork({ readers: [{ address: 1 }, { address: 1 }] })).toThrow(/appears twice/);
    expect(() => new ReaderNetwork({ readers: [{ address: 250, protocol: 'modbus-fifo' }] })).toThrow(/1\.\.247, got 250/);
    expect(() => new ReaderNetwork({ readers: [{ address: 1 }], reportIntervalMs: 0 })).toThrow(/reportIntervalMs must be a positive number, got 0/);
    expect(() => new ReaderNetwork({ readers: [{ address: 1 }], cards: [{ tag: 5, route: [{ reader: 2, at: 0, dwell: 1 }] }] })).toThrow(/visits reader 2/);

    const net = await startReaderNetwork({ readers: [{ address: 3, protocol: 'modbus-fifo' }], reportIntervalMs: 200 });
    cleanup.add(() => net.stop(), null);
    expect(net.serialPath).toBeNull();
    expect(() => net.move(1, 99)).toThrow(expect.objectContaining({ code: 'unknown-reader' }));
    expect(() => net.pressSos(404)).toThrow(expect.objectContaining({ code: 'unknown-card' }));
    expect(() => net.injectGarbage()).toThrow(expect.objectContaining({ code: 'no-serial-line' }));
    await expect(net.unplug()).rejects.toMatchObject({ code: 'no-serial-line' });
    await expect(net.start()).rejects.toMatchObject({ code: 'bad-state' });
  });
});
