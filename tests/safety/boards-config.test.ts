// The `boards:` section: Firmata boards declared in the config, outputs that name a board as their
// device, and the board cross-checks (edge/safety/board-checks.ts).
import { describe, expect, it } from 'vitest';
import { SubstationConfigSchema } from '../../board-configs/schema.js';
import { checkSafetyBoards } from '../../edge/safety/board-checks.js';
import { ConfigError, parseConfigText } from '../../edge/config/load-config.js';
import type { CheckContext, ConfigPath } from '../../edge/config/check-context.js';
import { readYamlSource } from '../../core/yaml-source.js';

const BASE = `
mine: { code: "140212000001", name: test }
substation: { code: B01, name: test }
buses:
  - { id: bus-1, type: rtu-serial, path: /tmp/minegate-test-bus }
devices:
  - { id: relay-1, bus: bus-1, unit: 1, profile: relay-module }
  - { id: fan-1, bus: bus-1, unit: 2, profile: fan-run-sensor }
  - { id: ch4-1, bus: bus-1, unit: 3, profile: methane-sensor }
points:
  - { code: T1, sensorType: "0001", device: ch4-1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, role: heading.T1, zones: [heading] }
  - { code: RUN, sensorType: "1001", device: fan-1, channel: state, unit: "", range: { low: 0, high: 1 }, location: fan, zones: [heading] }
zones:
  - { id: heading, name: heading, outputs: [heading-power] }
safety:
  unlockOperators: [key.fan1]
  localFans:
    - { id: fan1, runPoint: RUN, ventilates: [heading], gasPoints: [T1] }
`;

function configText(boards: string, outputs: string): string {
  return `${BASE}outputs:\n${outputs}\nboards:\n${boards}\n`;
}

const PANEL = `
  - id: panel
    firmata: { path: /tmp/minegate-test-panel }
    outputs:
      relay0: { pin: 7, type: relay }
      buzzer: { pin: 8, type: buzzer }
      beacon: { pin: 13, type: led }
    acknowledgeButton: { pin: 2, pullup: true }
    unlockKeys:
      - { pin: 3, fan: fan1, operator: key.fan1 }`;

const OUTPUTS = `
  - { id: heading-power, device: panel, channel: relay0, kind: power }
  - { id: siren, device: panel, channel: buzzer, kind: siren }
  - { id: beacon, device: panel, channel: beacon, kind: beacon }
  - { id: heartbeat, device: relay-1, channel: coil5, kind: heartbeat }`;

/** Run one check on a config that passed the schema; returns "path: message" lines. */
function problems(check: (ctx: CheckContext) => void, text: string): string[] {
  const source = readYamlSource(text, 'boards.yaml');
  const config = SubstationConfigSchema.parse(source.data);
  const out: string[] = [];
  const byId = <T extends { id: string }>(xs: readonly T[]) => new Map(xs.map((x) => [x.id, x]));
  const path = (p: ConfigPath) => p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`)).join('').slice(1);
  check({
    file: 'boards.yaml',
    config,
    profiles: new Map(),
    profileProblems: new Map(),
    busesById: byId(config.buses),
    devicesById: byId(config.devices),
    pointsByCode: new Map(config.points.map((p) => [p.code, p])),
    zonesById: byId(config.zones),
    outputsById: byId(config.outputs),
    profileOf: () => undefined,
    report: (p, message) => out.push(`${path(p)}: ${message}`),
    lineOf: (p) => source.locate(p).line,
  });
  return out;
}

function loadIssues(text: string): string[] {
  try {
    parseConfigText(text, 'boards.yaml');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe('boards in the config', () => {
  it('loads a board whose pins drive outputs, with the defaults filled in', () => {
    const loaded = parseConfigText(configText(PANEL, OUTPUTS), 'boards.yaml');
    const board = loaded.config.boards[0]!;
    expect(board.firmata).toEqual({ path: '/tmp/minegate-test-panel', baudRate: 57600, reportVersionTimeoutMs: 200 });
    expect(board.unlockKeys[0]).toMatchObject({ fan: 'fan1', operator: 'key.fan1', holdMs: 2000, pullup: false });
    expect(problems(checkSafetyBoards, configText(PANEL, OUTPUTS))).toEqual([]);
  });

  it('an output on a board channel that does not exist is refused, naming the channels', () => {
    const outputs = OUTPUTS.replace('channel: relay0', 'channel: relay9');
    expect(loadIssues(configText(PANEL, outputs))).toEqual(['outputs[0].channel: board "panel" has no output channel "relay9" (channels: relay0, buzzer, beacon)']);
  });

  it('an output on an unknown device lists the boards too', () => {
    const outputs = OUTPUTS.replace('device: panel, channel: relay0', 'device: panle, channel: relay0');
    expect(loadIssues(configText(PANEL, outputs))[0]).toMatch(/no device "panle" \(devices: relay-1, fan-1, ch4-1; boards: panel\)/);
  });

  it('refuses piezo tones and bad pins at the schema stage', () => {
    expect(loadIssues(configText(PANEL.replace('type: buzzer', 'type: piezo'), OUTPUTS)).join('\n')).toMatch(/boards\[0\]\.outputs\.buzzer\.type/);
    expect(loadIssues(configText(PANEL.replace('{ pin: 7, type: relay }', '{ pin: 7, type: led, relayType: NC }'), OUTPUTS)).join('\n')).toMatch(/relayType applies to relays only/);
  });

  it('board checks: duplicate ids, id clash with a device, shared serial port, reused pin', () => {
    const second = `
  - id: relay-1
    firmata: { path: /tmp/minegate-test-bus }
    outputs: { a: { pin: 4, type: relay }, b: { pin: 4, type: led } }
  - id: panel
    firmata: { path: /tmp/minegate-test-panel }
    outputs: { a: { pin: 4, type: relay } }
    acknowledgeButton: { pin: 4 }`;
    expect(problems(checkSafetyBoards, configText(PANEL + second, OUTPUTS))).toEqual([
      'boards[1].id: "relay-1" is already a device id (line 7): an output\'s device would be ambiguous',
      expect.stringMatching(/^boards\[2\]\.id: duplicate board id "panel" \(first defined on line \d+\)$/),
      'boards[1].firmata.path: serial port /tmp/minegate-test-bus is already used by bus "bus-1" (line 5)',
      expect.stringMatching(/^boards\[2\]\.firmata\.path: serial port \/tmp\/minegate-test-panel is already used by board "panel" \(line \d+\)$/),
      'boards[1].outputs.b.pin: pin 4 is already used by output "a"',
      'boards[2].acknowledgeButton.pin: pin 4 is already used by output "a"',
    ]);
  });

  it('board checks: an unlock key needs a configured fan and an authorised operator', () => {
    const keys = PANEL.replace('{ pin: 3, fan: fan1, operator: key.fan1 }', '{ pin: 3, fan: fan9, operator: someone }');
    expect(problems(checkSafetyBoards, configText(keys, OUTPUTS))).toEqual([
      'boards[0].unlockKeys[0].fan: no local fan "fan9" (safety.localFans: fan1)',
      'boards[0].unlockKeys[0].operator: "someone" is not in safety.unlockOperators (key.fan1): every turn of this key would be refused',
    ]);
  });

  it('board checks: a power output needs a relay pin; a siren a buzzer or relay; a beacon an LED or relay', () => {
    const outputs = `
  - { id: heading-power, device: panel, channel: beacon, kind: power }
  - { id: siren, device: panel, channel: relay0, kind: siren }
  - { id: beacon, device: panel, channel: buzzer, kind: beacon }`;
    expect(problems(checkSafetyBoards, configText(PANEL, outputs))).toEqual([
      'outputs[0].channel: a power output needs a relay pin; channel "beacon" of board "panel" is a led',
      'outputs[2].channel: a beacon output needs a led or relay pin; channel "buzzer" of board "panel" is a buzzer',
    ]);
  });
});
