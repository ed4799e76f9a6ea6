// How a config wires the readers to the gateway (personnel.readers) and how a scenario wires the
// simulated readers to the seal cameras (personnel.sealLinks / uncarded): mistakes are refused
// with the field that holds them, before anything runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultCapabilities } from '../../edge/capabilities.js';
import { ConfigError } from '../../core/config-error.js';
import { loadConfig } from '../../edge/config/load-config.js';
import { readerWiringProblems } from '../../edge/personnel/personnel-capability.js';
import { ScenarioError } from '../../simulator/errors.js';
import { parseScenario } from '../../simulator/scenario.js';
import { repoRoot } from '../helpers/built.js';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = mkdtempSync(join(tmpdir(), 'minegate-wiring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const demoConfig = (): Yaml => parse(readFileSync(join(repoRoot, 'board-configs/examples/demo-substation.yaml'), 'utf8')) as Yaml;
const demoScenarioText = readFileSync(join(repoRoot, 'simulator/scenarios/demo.yaml'), 'utf8');

let n = 0;
function load(config: Yaml) {
  const file = join(tmp, `config-${n++}.yaml`);
  writeFileSync(file, stringify(config));
  return loadConfig(file);
}

function configIssues(config: Yaml): string[] {
  try {
    load(config);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

function scenarioIssues(mutate: (s: Yaml) => void): string[] {
  const s = parse(demoScenarioText) as Yaml;
  mutate(s);
  try {
    parseScenario(stringify(s), 'scenario.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('personnel.readers in the board config', () => {
  it('the demo config wires every station and gets personnel then seals, in that order', () => {
    const loaded = load(demoConfig());
    expect(readerWiringProblems(loaded)).toEqual([]);
    expect(defaultCapabilities(loaded).map((c) => c.name).slice(0, 2)).toEqual(['personnel', 'seals']);
  });

  it('refuses a station no reader hears, a reader on both the line and a FIFO, and a framed address above 254', () => {
    const c = demoConfig();
    c.personnel.readers.line.readers = [1, 2, 3, 4, 5, 7, 300];
    const issues = configIssues(c);
    expect(issues).toContainEqual(expect.stringMatching(/^personnel\.readers\.line\.readers\[6\]: .*254/));
    expect(issues).toContainEqual('personnel.readers.line.readers[6]: must be the reader of a configured station; got 300 (number)');
    const c2 = demoConfig();
    c2.personnel.readers.line.readers = [1, 2, 3, 4, 5, 7, 8];
    const issues2 = configIssues(c2);
    expect(issues2).toContainEqual('personnel.stations[5].reader: must be on readers.line or readers.fifo: station "爆炸物品库入口" is on neither, so its cards would never be seen; got 6 (number)');
    expect(issues2).toContainEqual('personnel.readers.fifo[0].reader: must not also be on the framed line (reader 7 is line.readers[5]); got 7 (number)');
  });

  it('a Modbus-FIFO reader must be a device with the card-reader-fifo profile (config check refuses it)', () => {
    const c = demoConfig();
    c.personnel.readers.fifo = [{ device: 'hoist-meter', reader: 7 }];
    expect(configIssues(c)).toEqual(expect.arrayContaining([
      expect.stringContaining('personnel.readers.fifo[0].device: device "hoist-meter" has profile "energy-meter"; a Modbus-FIFO reader needs profile card-reader-fifo'),
    ]));
    c.personnel.readers.fifo = [{ device: 'no-such-reader', reader: 7 }];
    expect(configIssues(c).join('\n')).toMatch(/no device "no-such-reader"/);
  });
});

describe('personnel section of a scenario', () => {
  it('the demo scenario is valid', () => {
    expect(scenarioIssues(() => undefined)).toEqual([]);
  });

  it('refuses a seal link to a device that is not a seal camera, to an unknown reader, and an uncarded crossing on a missing bus', () => {
    const issues = scenarioIssues((s) => {
      s.personnel.sealLinks = [
        { reader: 2, bus: 'seal-bus', unit: 3 },
        { reader: 99, bus: 'seal-bus', unit: 1 },
      ];
      s.personnel.uncarded = [{ at: 5, bus: 'nope', unit: 1 }];
    });
    expect(issues).toEqual([
      'personnel.sealLinks[0].unit: unit 3 on bus "seal-bus" is a energy-meter, not a seal-camera',
      'personnel.sealLinks[1].reader: no reader 99 in personnel.readers',
      'personnel.uncarded[0].bus: no bus "nope"; buses are field-bus, rs485-tcp, seal-bus',
    ]);
  });

  it('refuses a reader line on a port a bus already serves, and a card route through an unknown reader', () => {
    const issues = scenarioIssues((s) => {
      s.personnel.line.port = 15022;
      s.personnel.cards[0].route[0].reader = 42;
    });
    expect(issues).toContainEqual('personnel.line.port: port 15022 is already used by bus "seal-bus"');
    expect(issues).toContainEqual(expect.stringMatching(/^personnel\.cards\[0\]\.route\[0\]\.reader: no reader 42/));
  });
});
