// The scenario's personnel: the simulated reader network, and the cards that walk past a linked
// seal camera on their way (in on one arrival at the reader, out on the next), so seal counts and
// card check-ins agree as they would at a real shaft mouth.
import { type ReaderNetwork, startReaderNetwork } from './personnel/reader-network.js';
import type { Scenario, SealLink } from './scenario.js';
import type { VirtualSealCamera } from './seals/seal-camera.js';

/** Per seal link: the tags in the reader's range at the last look, and how often each arrived. */
export interface SealLinkState {
  link: SealLink;
  camera: VirtualSealCamera;
  inRange: Set<number>;
  arrivals: Map<number, number>;
}

/** Starts the reader network of a scenario's `personnel:` section (null without one). */
export async function startPersonnel(scenario: Scenario, startAtS: number, log: (line: string) => void): Promise<ReaderNetwork | null> {
  const p = scenario.personnel;
  if (!p) return null;
  const net = await startReaderNetwork({
    readers: p.readers.map((r) => ({ address: r.address, name: r.name, protocol: r.protocol, power: r.power, ...(r.canPage === undefined ? {} : { canPage: r.canPage }) })),
    cards: p.cards,
    seed: p.seed,
    reportIntervalMs: p.reportIntervalS * 1000,
    baudRate: p.baudRate,
    speed: p.speed,
    line: p.line.type === 'tcp' ? { type: 'tcp', host: p.line.host, port: p.line.port } : { type: 'pty' },
    startAtS,
    ...(p.line.type === 'pty' && p.line.dir ? { ptyDir: p.line.dir } : {}),
    ...(p.modbus ? { modbusEndpoint: { type: 'tcp', host: p.modbus.host, port: p.modbus.port } } : {}),
  });
  const line = net.linePort !== null ? `reader line RS-485-over-TCP on ${p.line.type === 'tcp' ? p.line.host : ''}:${net.linePort}` : net.serialPath ? `reader line on PTY ${net.serialPath}` : 'no framed readers';
  const fifo = net.modbusPort !== null ? `; Modbus-FIFO readers on Modbus TCP ${p.modbus?.host ?? '127.0.0.1'}:${net.modbusPort}` : '';
  log(`personnel: ${p.readers.length} readers, ${p.cards.length} cards; ${line}${fifo}`);
  return net;
}

/** A card arriving at a linked reader walks past its seal camera: in on odd arrivals, out on even ones. */
export function followCards(net: ReaderNetwork, sealLinks: readonly SealLinkState[]): void {
  for (const s of sealLinks) {
    let now: Set<number>;
    try {
      now = new Set(net.cardsAt(s.link.reader));
    } catch {
      continue;
    }
    for (const tag of now) {
      if (s.inRange.has(tag)) continue;
      const n = (s.arrivals.get(tag) ?? 0) + 1;
      s.arrivals.set(tag, n);
      const into = (n % 2 === 1) === (s.link.firstPass === 'in');
      if (into) s.camera.personIn();
      else s.camera.personOut();
    }
    s.inRange = now;
  }
}
