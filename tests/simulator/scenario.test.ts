import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../board-configs/paths.js';
import { ScenarioError } from '../../simulator/errors.js';
import { loadScenario, parseScenario } from '../../simulator/scenario.js';

const scenariosDir = join(packageRoot(), 'simulator', 'scenarios');

/** Parse text that must fail; returns the error. */
function failing(text: string): ScenarioError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error('scenario was accepted');
}

const oneBus = (devices: string, extra = ''): string => `name: t
buses:
  - id: field-bus
    listen: { type: tcp, port: 0 }
    devices:
${devices}
${extra}`;

describe('shipped scenarios', () => {
  it('demo.yaml is the demo substation: six sensors on TCP 15020, relay and two feeds on RTU-over-TCP 15021, seals on 15022, readers on 15023/15024', () => {
    const demo = loadScenario(join(scenariosDir, 'demo.yaml'));
    expect(demo.buses.map((b) => [b.id, b.listen, b.baudRate])).toEqual([
      ['field-bus', { type: 'tcp', host: '127.0.0.1', port: 15020 }, undefined],
      ['rs485-tcp', { type: 'rtu-over-tcp', host: '127.0.0.1', port: 15021 }, 9600],
      ['seal-bus', { type: 'tcp', host: '127.0.0.1', port: 15022 }, undefined],
    ]);
    expect(demo.buses[2]!.devices.map((d) => `${d.unit}:${d.profile}`)).toEqual(['1:seal-camera', '2:seal-camera', '3:energy-meter']);
    // The demo needs no socat: the framed readers' line is an RS-485-over-TCP converter.
    expect(demo.personnel?.line).toEqual({ type: 'tcp', host: '127.0.0.1', port: 15023 });
    expect(demo.personnel?.modbus).toEqual({ host: '127.0.0.1', port: 15024 });
    expect(demo.personnel?.cards.length).toBe(20);
    expect(demo.personnel?.sealLinks.map((l) => [l.reader, l.bus, l.unit])).toEqual([
      [2, 'seal-bus', 1],
      [8, 'seal-bus', 2],
    ]);
    expect(demo.buses[0]!.devices.map((d) => `${d.unit}:${d.profile}`)).toEqual([
      '1:methane-sensor',
      '2:methane-sensor',
      '3:co-sensor',
      '4:wind-speed-sensor',
      '5:temperature-sensor',
      '6:fan-run-sensor',
    ]);
    // The relay module's watchdog guards the heading power only (the local fan keeps ventilating).
    expect(demo.buses[1]!.devices[0]!.watchdog).toEqual({ heartbeat: 'heartbeat', timeoutMs: 3000, coils: ['coil0'] });
    expect(demo.buses[1]!.devices.map((d) => [d.unit, d.profile, d.follows && `${d.follows.unit}.${d.follows.channel}/${d.follows.delayMs}`])).toEqual([
      [1, 'watchdog-relay-module', undefined],
      [2, 'feed-sensor', '1.coil0/300'],
      [3, 'feed-sensor', '1.coil1/300'],
    ]);
  });

  it('faults.yaml uses every fault kind and every event action', () => {
    const faults = loadScenario(join(scenariosDir, 'faults.yaml'));
    const kinds = new Set(faults.events.map((e) => e.fault).filter(Boolean));
    expect([...kinds].sort()).toEqual(['crc-error', 'device-failure', 'garbage', 'no-response', 'stuck', 'wrong-function', 'wrong-unit']);
    expect(faults.events.some((e) => e.status?.sensorFault)).toBe(true);
    expect(faults.events.some((e) => e.status?.calibrating)).toBe(true);
    expect(faults.events.some((e) => e.set)).toBe(true);
    expect(faults.events.some((e) => e.down)).toBe(true);
  });
});

describe('scenario validation names file:line:column and the field path', () => {
  it('points at an unknown profile', () => {
    const err = failing(oneBus('      - { unit: 1, profile: methan-sensor }'));
    expect(err.code).toBe('SCENARIO_INVALID');
    expect(err.issues).toEqual([expect.objectContaining({ file: 'bad.yaml', line: 6, path: 'buses[0].devices[0].profile', message: 'no such profile "methan-sensor"' })]);
    expect(err.message).toMatch(/^bad\.yaml:6:\d+ buses\[0\]\.devices\[0\]\.profile: no such profile "methan-sensor"$/);
  });

  it('points at a misspelt key inside a signal', () => {
    const err = failing(
      oneBus(`      - unit: 1
        profile: methane-sensor
        values:
          value: { constant: 0.3, nosie: 0.01 }`),
    );
    expect(err.issues[0]).toMatchObject({ line: 9, path: 'buses[0].devices[0].values.value.nosie', message: expect.stringMatching(/unknown key "nosie"/) });
  });

  it('points at a bad signal field', () => {
    const err = failing(
      oneBus(`      - unit: 1
        profile: methane-sensor
        values:
          value:
            ramp: { from: 0.2, to: 1.2, start: 10, duration: -60 }`),
    );
    expect(err.issues[0]).toMatchObject({ line: 10, path: 'buses[0].devices[0].values.value.ramp.duration' });
  });

  it('reports every cross-reference problem at once, in line order', () => {
    const err = failing(
      oneBus(
        `      - { unit: 1, profile: relay-module, values: { coil0: 1 } }
      - { unit: 1, profile: feed-sensor, follows: { unit: 9, channel: coil0 } }
      - { unit: 3, profile: co-sensor, initial: { value: -5 }, params: { span: 7 } }`,
        `events:
  - { at: 10, bus: feild-bus, unit: 1, fault: no-response }
  - { at: 30, bus: field-bus, unit: 3, fault: stuck }
  - { at: 50, bus: field-bus, unit: 4, set: { value: 5 } }`,
      ),
    );
    const found = err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
    expect(found).toEqual([
      expect.stringMatching(/^6 buses\[0\]\.devices\[0\]\.values\.coil0: "coil0" is written by the gateway/),
      expect.stringMatching(/^7 buses\[0\]\.devices\[1\]\.unit: unit 1 is already used on bus "field-bus"/),
      expect.stringMatching(/^7 buses\[0\]\.devices\[1\]\.follows\.unit: no unit 9 on bus "field-bus"/),
      expect.stringMatching(/^8 buses\[0\]\.devices\[2\]\.params: params\.span must be 0\.5\.\.1\.5, got 7/),
      expect.stringMatching(/^10 events\[0\]\.bus: no bus "feild-bus"; buses are field-bus/),
      expect.stringMatching(/^11 events\[1\]\.fault: "stuck" freezes a device that follows another/),
      expect.stringMatching(/^12 events\[2\]\.unit: no unit 4 on bus "field-bus"/),
    ]);
    expect(err.message.split('\n')).toHaveLength(found.length);
  });

  it('reports every schema problem at once', () => {
    const err = failing(
      oneBus(
        '      - { unit: 1, profile: co-sensor }',
        `events:
  - { at: 20, until: 15, bus: field-bus, unit: 1, fault: no-response }
  - { at: 40, bus: field-bus, unit: 1, status: { calibrating: true }, set: { value: 5 } }
  - { at: 41, bus: field-bus, fault: garbage }
  - { at: 42, bus: field-bus, unit: 1, fault: smoke }`,
      ),
    );
    expect(err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      '8 events[0].until: must be after at (20); got 15 (number)',
      '9 events[1]: an event needs exactly one of fault, set, status, responseDelayMs, down, or only a note (found set, status)',
      expect.stringMatching(/^10 events\[2\]\.unit: missing required key "unit"/),
      expect.stringMatching(/^11 events\[3\]\.fault: .*no-response.*smoke/),
    ]);
  });

  it('refuses values a register cannot hold and status bits the profile lacks', () => {
    const err = failing(
      oneBus(
        `      - { unit: 1, profile: methane-sensor }
      - { unit: 6, profile: fan-run-sensor }`,
        `events:
  - { at: 1, bus: field-bus, unit: 1, set: { value: -1 } }
  - { at: 2, bus: field-bus, unit: 6, status: { calibrating: true } }
  - { at: 3, bus: field-bus, unit: 1, set: { valeu: 1 } }`,
      ),
    );
    expect(err.issues.map((i) => [i.line, i.path])).toEqual([
      [9, 'events[0].set.value'],
      [10, 'events[1].status.calibrating'],
      [11, 'events[2].set.valeu'],
    ]);
    expect(err.issues[0]!.message).toMatch(/-1 does not fit value \(uint16, scale 0\.01/);
    expect(err.issues[1]!.message).toBe('fan-run-sensor has no calibrating status bit');
  });

  it('refuses baudRate on a Modbus TCP bus and a port used twice', () => {
    const err = failing(`name: t
buses:
  - id: a
    listen: { type: tcp, port: 15999 }
    baudRate: 9600
    devices: [{ unit: 1, profile: relay-module }]
  - id: b
    listen: { type: rtu-over-tcp, port: 15999 }
    devices: [{ unit: 1, profile: relay-module }]
`);
    expect(err.issues.map((i) => `${i.line} ${i.path}`)).toEqual(['5 buses[0].baudRate', '8 buses[1].listen']);
    expect(err.issues[1]!.message).toBe('port 127.0.0.1:15999 is already used by bus "a"');
  });

  it('refuses a line speed that is not a standard serial rate, pointing at the bus', () => {
    const err = failing(`name: t
buses:
  - id: fast
    listen: { type: rtu-over-tcp, port: 0 }
    baudRate: 230400
    devices: [{ unit: 1, profile: relay-module }]
`);
    expect(err.issues).toEqual([
      expect.objectContaining({ line: 5, path: 'buses[0].baudRate', message: expect.stringMatching(/one of 1200, .*115200; got 230400/) }),
    ]);
  });

  it('accepts 115200 baud: the profiles store baud / 100, which fits the register', () => {
    expect(() => parseScenario(`name: t
buses:
  - id: fast
    listen: { type: rtu-over-tcp, port: 0 }
    baudRate: 115200
    devices: [{ unit: 1, profile: relay-module }]
`, 'ok.yaml')).not.toThrow();
  });

  it('names the line of a YAML syntax error', () => {
    const err = failing('name: t\nbuses:\n  - id: a\n    listen: { type: tcp, port: 0\n');
    expect(err.issues[0]!.line).toBeGreaterThanOrEqual(4);
    expect(err.issues[0]!.message).toMatch(/^YAML/);
  });

  it('names a missing required key at its parent', () => {
    const err = failing(oneBus('      - { unit: 1 }'));
    expect(err.issues[0]).toMatchObject({ line: 6, path: 'buses[0].devices[0].profile', message: expect.stringMatching(/missing required key "profile"/) });
  });

  describe('files', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('reports a missing file with its path', () => {
      dir = mkdtempSync(join(tmpdir(), 'minegate-scenario-'));
      const file = join(dir, 'nope.yaml');
      expect(() => loadScenario(file)).toThrow(expect.objectContaining({ code: 'SCENARIO_NOT_FOUND', file }));
    });

    it('reads a file and names it in errors', () => {
      dir = mkdtempSync(join(tmpdir(), 'minegate-scenario-'));
      const file = join(dir, 'mine.yaml');
      writeFileSync(file, oneBus('      - { unit: 300, profile: co-sensor }'));
      expect(() => loadScenario(file)).toThrow(`${file}:6:`);
    });
  });
});
