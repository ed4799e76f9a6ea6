import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../board-configs/paths.js';
import { ScenarioError } from '../../../simulator/errors.js';
import { CardPopulation } from '../../../simulator/personnel/cards.js';
import { CardScriptSchema, loadRoutes, parseRoutes } from '../../../simulator/personnel/routes.js';

const demoFile = join(packageRoot(), 'simulator', 'scenarios', 'personnel-demo.yaml');

function issuesOf(text: string): string[] {
  try {
    parseRoutes(text, 'routes.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).code).toBe('SCENARIO_INVALID');
    return (err as ScenarioError).message.split('\n');
  }
  throw new Error('expected the route file to be refused');
}

const base = `name: t
readers:
  - { address: 1, name: shaft }
  - { address: 2, name: face }
  - { address: 3, name: pumps, protocol: modbus-fifo }
`;

describe('route files', () => {
  it('ships a demo shift of about 20 cards over framed and Modbus-FIFO readers', () => {
    const routes = loadRoutes(demoFile);
    expect(routes.cards.length).toBe(20);
    expect(routes.readers.map((r) => r.protocol)).toContain('modbus-fifo');
    expect(routes.readers.find((r) => r.name === 'refuge-chamber')).toBeDefined();
    const cards = new CardPopulation(routes.cards, { seed: routes.seed });
    // Everybody starts on the surface, goes down the auxiliary shaft, and is back on the surface at the end.
    expect(routes.cards.every((c) => cards.locationOf(c.tag, 0) === null)).toBe(true);
    expect(cards.locationOf(100001, 10)).toBe(2);
    expect(cards.locationOf(100001, 200)).toBe(5);
    expect(routes.cards.every((c) => cards.locationOf(c.tag, 700) === null)).toBe(true);
    expect(cards.tagsAt(5, 200).length).toBeGreaterThanOrEqual(10);
    // The scripted SOS (single, double) and low battery.
    expect(cards.recordsAt(5, 252, 1).find((r) => r.tag === 100004)).toMatchObject({ sos: true, sosDouble: false });
    expect(cards.recordsAt(5, 321, 1).find((r) => r.tag === 100010)).toMatchObject({ sos: true, sosDouble: true });
    expect(cards.recordsAt(8, 250, 1).find((r) => r.tag === 100016)).toMatchObject({ lowBattery: true });
  });

  it('reports every cross-reference problem at once with file:line:column and the field path', () => {
    const lines = issuesOf(`${base}cards:
  - tag: 7
    route:
      - { reader: 1, at: 0, dwell: 10 }
      - { reader: 9, at: 20, dwell: 10 }
      - { reader: 2, at: 25, dwell: 10 }
  - tag: 7
`);
    expect(lines).toEqual([
      'routes.yaml:10:19 cards[0].route[1].reader: no reader 9; readers are 1, 2, 3',
      'routes.yaml:11:26 cards[0].route[2].at: the card is still at reader 9 until 30 s (at 20 + dwell 10); stops must not overlap',
      'routes.yaml:12:10 cards[1].tag: tag 7 is already used by cards[0] (use cloneTag for a cloned card)',
    ]);
  });

  it('points a typo at the key, with a suggestion', () => {
    expect(issuesOf(`${base}cards:\n  - tag: 7\n    rute: []\n`)).toEqual(['routes.yaml:8:5 cards[0].rute: unknown key "rute"; did you mean "route"?']);
  });

  it('refuses duplicate readers, paging on a Modbus reader, and bad values, naming the line', () => {
    const lines = issuesOf(`name: t
readers:
  - { address: 1, name: shaft }
  - { address: 1, name: shaft }
  - { address: 300, name: deep }
  - { address: 4, name: pumps, protocol: modbus-fifo, canPage: true }
cards:
  - { tag: 0, route: [] }
  - { tag: 5, route: [{ reader: 1, at: -1, dwell: 0 }] }
`);
    expect(lines.some((l) => l.startsWith('routes.yaml:5:') && l.includes('readers[2].address'))).toBe(true);
    expect(lines.some((l) => l.startsWith('routes.yaml:8:') && l.includes('cards[0].tag'))).toBe(true);
    expect(lines.some((l) => l.startsWith('routes.yaml:9:') && l.includes('cards[1].route[0].at'))).toBe(true);
    expect(lines.some((l) => l.startsWith('routes.yaml:9:') && l.includes('cards[1].route[0].dwell'))).toBe(true);
    // Cross-checks run once the schema passes.
    const cross = issuesOf(`name: t
readers:
  - { address: 1, name: shaft }
  - { address: 1, name: shaft }
  - { address: 4, name: pumps, protocol: modbus-fifo, canPage: true }
`);
    expect(cross).toEqual([
      'routes.yaml:4:16 readers[1].address: reader address 1 is already used by readers[0]',
      'routes.yaml:4:25 readers[1].name: reader name "shaft" is already used by readers[0]',
      'routes.yaml:5:64 readers[2].canPage: paging needs a framed reader; modbus-fifo readers cannot page',
    ]);
  });

  it('reports YAML syntax errors and a missing file', () => {
    expect(issuesOf('name: t\nreaders: [ { address: 1 }\n')[0]).toMatch(/^routes\.yaml:\d+:\d+ .*YAML syntax/);
    expect(() => loadRoutes('/nonexistent/routes.yaml')).toThrow(expect.objectContaining({ code: 'SCENARIO_NOT_FOUND' }));
  });
});

describe('CardPopulation', () => {
  const script = (input: unknown) => CardScriptSchema.parse(input);

  it('a card is in range only during its stops, and a manual move overrides the route', () => {
    const cards = new CardPopulation([script({ tag: 1, route: [{ reader: 1, at: 10, dwell: 5 }, { reader: 2, at: 20, dwell: 5 }] })]);
    expect([0, 10, 14.9, 15, 20, 25].map((t) => cards.locationOf(1, t))).toEqual([null, 1, 1, null, 2, null]);
    cards.move(1, 3);
    expect(cards.locationOf(1, 12)).toBe(3);
    cards.move(99, 2); // new card
    expect(cards.tagsAt(2, 0)).toEqual([99]);
  });

  it('SOS lasts sosHoldS after a press; silence hides the card; a clone is heard elsewhere too', () => {
    const cards = new CardPopulation([script({ tag: 1, route: [{ reader: 1, at: 0, dwell: 100 }], sos: [10, { at: 50, double: true }] })], { sosHoldS: 5 });
    const at = (t: number) => cards.recordsAt(1, t, 1)[0]!;
    expect([9, 10, 14.9, 15].map((t) => at(t).sos)).toEqual([false, true, true, false]);
    expect(at(51)).toMatchObject({ sos: true, sosDouble: true });
    cards.clone(1, 2, true);
    cards.silence(1, true);
    expect(cards.recordsAt(1, 20, 1)).toEqual([]);
    expect(cards.recordsAt(2, 20, 1).map((r) => r.tag)).toEqual([1]);
  });

  it('readings are plausible and depend only on the seed', () => {
    const make = (seed: number) => {
      const c = new CardPopulation([], { seed });
      for (let tag = 1; tag <= 50; tag++) c.move(tag, 1);
      return c.recordsAt(1, 0, 7);
    };
    const a = make(1);
    expect(make(1)).toEqual(a);
    expect(make(2)).not.toEqual(a);
    for (const r of a) {
      expect(Math.abs(r.distanceM)).toBeGreaterThan(0);
      expect(Math.abs(r.distanceM)).toBeLessThanOrEqual(41);
      expect(r.rssi).toBeLessThanOrEqual(-20);
      expect(r.rssi).toBeGreaterThanOrEqual(-127);
    }
    expect(a.some((r) => r.distanceM < 0) && a.some((r) => r.distanceM > 0)).toBe(true);
  });
});
