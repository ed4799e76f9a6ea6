// What personnel positioning costs the gateway: 2,000 cards reporting once per second through
// readers speaking minegate's framed protocol. Per reader frame: the bare parser (baseline), the
// reader-bus driver (parser + liveness + sightings to a consumer callback), and the driver feeding
// the personnel engine (edge/personnel/engine.ts). All in one run, on the same precomputed line bytes,
// with simulated time advancing one second per report round (the engine's per-second tick included).
// Usage: npm run bench -- personnel [--cards 2000] [--readers 64] [--seconds 20] [--rounds 3]
import { EventEmitter } from 'node:events';
import { CardReaderBus } from '../drivers/card-reader-serial.js';
import { PersonnelEngine } from '../edge/personnel/engine.js';
import type { PersonnelConfigView } from '../edge/personnel/plan.js';
import { CardFrameParser, chunkRecords, encodeCardFrame } from '../protocols/card-reader/frame.js';
import type { CardRecord, CardSighting } from '../protocols/card-reader/types.js';
import type { Link } from '../protocols/links/link.js';
import { type BenchContext, median, percentiles } from './harness.js';

const defaults = { cards: 2000, readers: 64, seconds: 20, rounds: 3 };

function arg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new TypeError(`${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
}

/** A Link whose bytes the bench hands in directly: measures our code, not the kernel's PTY. */
class MemoryLink extends EventEmitter implements Link {
  readonly description = 'memory bench link';
  isOpen = false;
  async open(): Promise<void> {
    this.isOpen = true;
  }
  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close', undefined);
  }
  async write(): Promise<void> {}
}

/** Time the bench moves: one report round = one second. */
class BenchClock {
  private monoMs = 0;
  private readonly wall0 = Date.UTC(2026, 0, 10, 8, 0, 0);
  wall = (): number => this.wall0 + this.monoMs;
  mono = (): number => this.monoMs;
  advance(ms: number): void {
    this.monoMs += ms;
  }
}

const MINE = '140100000001';

/** A personnel config for the bench: every card on the roster, one station per reader, 8 areas. */
function benchConfig(cards: number, readers: number): PersonnelConfigView {
  const areaIds = Array.from({ length: 8 }, (_, i) => `area-${i}`);
  const areaCode = (i: number) => `${MINE}${String(i + 1).padStart(4, '0')}`;
  return {
    mine: { code: MINE, name: 'bench mine' },
    zones: [],
    outputs: [],
    personnel: {
      ratedUnderground: cards * 2,
      roster: Array.from({ length: cards }, (_, i) => ({ tag: 100_000 + i, card: `${MINE}${String(i + 1).padStart(5, '0')}`, person: `E${i}`, name: `miner ${i}` })),
      areas: areaIds.map((id, i) => ({ id, code: areaCode(i), name: `area ${i}`, type: i === 0 ? 'shaft-mouth' : 'other' })),
      stations: Array.from({ length: readers }, (_, r) => {
        const area = r === 0 ? 0 : 1 + (r % 7);
        return { reader: r + 1, code: `${areaCode(area)}${String(r + 1).padStart(6, '0')}`, name: `reader ${r + 1}`, area: areaIds[area]! };
      }),
    },
  };
}

/** The line bytes of `seconds` report rounds: each card at a fixed reader (most readers get 31 or 32 cards). */
function buildTraffic(cards: number, readers: number, seconds: number): Buffer[][] {
  const byReader: number[][] = Array.from({ length: readers }, () => []);
  // Reader 1 is the shaft mouth: keep everyone underground (a realistic steady state, not a stream of entries).
  for (let i = 0; i < cards; i++) byReader[1 + (i % (readers - 1))]!.push(100_000 + i);
  const seq = new Array<number>(readers).fill(0);
  const rounds: Buffer[][] = [];
  for (let s = 0; s < seconds; s++) {
    const frames: Buffer[] = [];
    byReader.forEach((tags, r) => {
      const records: CardRecord[] = tags.map((tag) => ({ tag, rssi: -50 - ((tag + s) % 30), distanceM: ((tag * 7 + s) % 400) / 10 - 20, lowBattery: false, sos: false, sosDouble: false }));
      for (const chunk of chunkRecords(records)) {
        frames.push(encodeCardFrame({ type: 'card-report', reader: r + 1, seq: seq[r]!, records: chunk }));
        seq[r] = (seq[r]! + 1) & 0xff;
      }
    });
    rounds.push(frames);
  }
  return rounds;
}

interface RunResult {
  /** Per-frame processing times, µs. */
  frameUs: number[];
  /** CPU ms per simulated second (= per round of every reader reporting once). */
  cpuMsPerSecond: number;
  sightings: number;
}

function runParser(traffic: Buffer[][]): RunResult {
  const parser = new CardFrameParser();
  const frameUs: number[] = [];
  let sightings = 0;
  const cpu0 = process.cpuUsage();
  for (const round of traffic) {
    for (const frame of round) {
      const t0 = process.hrtime.bigint();
      for (const f of parser.push(frame)) if (f.type === 'card-report') sightings += f.records.length;
      frameUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { frameUs, cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / traffic.length, sightings };
}

async function runDriver(traffic: Buffer[][], cfg: PersonnelConfigView, withEngine: boolean): Promise<RunResult> {
  const clock = new BenchClock();
  const link = new MemoryLink();
  const bus = new CardReaderBus({ link, clock, offlineAfterMs: 5_000, checkIntervalMs: 60_000 });
  const engine = withEngine ? new PersonnelEngine({ config: cfg, clock }) : null;
  let sightings = 0;
  // The consumer callback: what the gateway wires between the driver and the personnel state.
  const consume = engine ? (batch: CardSighting[]) => {
    sightings += batch.length;
    for (const s of batch) engine.onSighting(s);
  } : (batch: CardSighting[]) => {
    sightings += batch.length;
  };
  bus.on('sightings', consume);
  if (engine) bus.on('reader', (c) => engine.onReaderState(c.reader, c.online));
  await bus.open();
  const frameUs: number[] = [];
  const cpu0 = process.cpuUsage();
  for (const round of traffic) {
    for (const frame of round) {
      const t0 = process.hrtime.bigint();
      link.emit('data', frame);
      frameUs.push(Number(process.hrtime.bigint() - t0) / 1000);
      clock.advance(1000 / round.length);
    }
    engine?.tick();
  }
  const cpu = process.cpuUsage(cpu0);
  await bus.close();
  if (engine && engine.stats().unknown > 0) throw new Error(`bench personnel: the engine saw ${engine.stats().unknown} unknown tags/readers; the bench config is wrong`);
  return { frameUs, cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / traffic.length, sightings };
}

export default async function personnelBench(ctx: BenchContext): Promise<void> {
  const cards = arg(ctx.args, '--cards', defaults.cards);
  const readers = arg(ctx.args, '--readers', defaults.readers);
  const seconds = arg(ctx.args, '--seconds', defaults.seconds);
  const rounds = arg(ctx.args, '--rounds', defaults.rounds);
  if (readers < 2 || readers > 254) throw new TypeError(`--readers must be 2..254, got ${readers}`);
  const traffic = buildTraffic(cards, readers, seconds);
  const cfg = benchConfig(cards, readers);
  const expected = cards * seconds;

  // Warm-up (JIT) of every path, not measured.
  runParser(traffic);
  await runDriver(traffic, cfg, false);
  await runDriver(traffic, cfg, true);

  const results = { parser: [] as RunResult[], driver: [] as RunResult[], engine: [] as RunResult[] };
  for (let i = 0; i < rounds; i++) {
    results.parser.push(runParser(traffic));
    results.driver.push(await runDriver(traffic, cfg, false));
    results.engine.push(await runDriver(traffic, cfg, true));
  }
  for (const [name, list] of Object.entries(results)) {
    for (const r of list) if (r.sightings !== expected) throw new Error(`bench personnel: ${name} delivered ${r.sightings} sightings, expected ${expected}`);
  }
  const p = (list: RunResult[], q: number) => median(list.map((r) => percentiles(r.frameUs, [q])[0]!));
  const cpu = (list: RunResult[]) => median(list.map((r) => r.cpuMsPerSecond / 1000));
  const frames = traffic[0]!.length;
  const label = `${cards} cards / ${readers} readers / ${frames} frames per s`;

  ctx.report({ figure: `p50 per reader frame, parser + driver (${label})`, value: p(results.driver, 50), unit: 'µs', baseline: p(results.parser, 50) });
  ctx.report({ figure: `p99 per reader frame, parser + driver (${label})`, value: p(results.driver, 99), unit: 'µs', baseline: p(results.parser, 99) });
  ctx.report({ figure: `p99 per reader frame, parser + driver + personnel engine (${label})`, value: p(results.engine, 99), unit: 'µs', baseline: p(results.parser, 99) });
  ctx.report({ figure: `CPU share at ${cards} cards/s, parser + driver`, value: cpu(results.driver), unit: 'share of one core', baseline: cpu(results.parser) });
  ctx.report({ figure: `CPU share at ${cards} cards/s, parser + driver + personnel engine (incl. 1 tick/s)`, value: cpu(results.engine), unit: 'share of one core', baseline: cpu(results.parser) });
}
