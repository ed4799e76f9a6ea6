// One case per cross-check rule: a valid fixture broken in exactly that way must be refused with
// the issue on the line and field of the mistake.
import { describe, expect, it } from 'vitest';
import { configChecks as crossChecks } from '../../edge/config/check-registry.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { edit, issuesOf, validConfig } from './fixtures.js';

const FILE = '/site/f009.yaml';

function lastLineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`no line contains "${needle}"`);
}

interface Case {
  name: string;
  from: string;
  to: string;
  /** Issues expected (default 1): some mistakes break two rules. */
  count?: number;
  /** Text on the line the issue must point at (its last occurrence). */
  at: string;
  path: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'duplicate bus id', from: 'devices:\n', to: '  - { id: rs485-1, type: tcp, host: 127.0.0.2 }\ndevices:\n', at: '127.0.0.2', path: 'buses[2].id', message: /duplicate bus id "rs485-1" \(first defined on line 4\)/ },
  { name: 'duplicate device id', from: 'points:\n', to: '  - { id: relay-1, bus: field-bus, unit: 9, profile: relay-module }\npoints:\n', at: 'unit: 9', path: 'devices[3].id', message: /duplicate device id "relay-1" \(first defined on line 12\)/ },
  { name: 'duplicate point code', from: 'code: P3', to: 'code: P1', at: 'freshnessMs: 9000', path: 'points[2].code', message: /duplicate point code "P1"/ },
  { name: 'duplicate output id', from: 'id: siren', to: 'id: power', at: 'channel: coil6', path: 'outputs[1].id', message: /duplicate output id "power"/ },
  { name: 'duplicate zone id', from: 'outputs: [power] }\n', to: 'outputs: [power] }\n  - { id: z1, name: again, outputs: [power] }\n', at: 'name: again', path: 'zones[1].id', message: /duplicate zone id "z1"/ },
  {
    name: 'shared serial port',
    from: '  - id: field-bus\n    type: tcp\n    host: 127.0.0.1\n',
    to: '  - id: field-bus\n    type: rtu-serial\n    path: /tmp/minegate-test-tty\n',
    at: 'path: /tmp/minegate-test-tty',
    path: 'buses[1].path',
    message: /serial port \/tmp\/minegate-test-tty is already used by bus "rs485-1"/,
  },
  { name: 'baud rate on a Modbus TCP bus', from: 'host: 127.0.0.1', to: 'host: 127.0.0.1\n    baudRate: 9600', at: 'baudRate: 9600', path: 'buses[1].baudRate', message: /Modbus TCP has no line speed/ },
  {
    name: 'non-standard baud rate behind an RTU converter',
    from: 'type: tcp\n    host: 127.0.0.1',
    to: 'type: rtu-over-tcp\n    host: 127.0.0.1\n    baudRate: 9000',
    at: 'baudRate: 9000',
    path: 'buses[1].baudRate',
    message: /expected one of .*; got 9000/,
  },
  { name: 'alarm poll slower than normal poll', from: 'pollMs: 2000 }', to: 'pollMs: 2000, alarmPollMs: 3000 }', at: 'alarmPollMs', path: 'devices[2].alarmPollMs', message: /alarmPollMs 3000 is slower than pollMs 2000/ },
  // Also refused by the safety threshold check (a methane preset is in %CH4), hence two issues.
  { name: 'point unit differs from the channel unit', from: 'unit: "%CH4", range: { low: 0, high: 4 }, location: face, zones', to: 'unit: ppm, range: { low: 0, high: 4 }, location: face, zones', at: 'code: P1', path: 'points[0].unit', message: /"ppm" differs from the unit of channel "value" in profile "methane-sensor" \("%CH4"\)/, count: 2 },
  { name: 'point range wider than the sensor', from: 'range: { low: 0, high: 4 }, location: face, zones', to: 'range: { low: 0, high: 100 }, location: face, zones', at: 'code: P1', path: 'points[0].range', message: /0–100 exceeds the measuring range of profile "methane-sensor" \(0–4\)/ },
  { name: 'gas point on a switch sensor', from: 'device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, freshnessMs', to: 'device: feed-1, channel: state, unit: "%CH4", range: { low: 0, high: 4 }, location: face, freshnessMs', at: 'code: P3', path: 'points[2].device', message: /gas point \(sensorType 0001\) reads device "feed-1" whose profile "feed-sensor" is a switch-sensor, not a sensor/ },
  { name: 'freshness not longer than the poll interval', from: 'freshnessMs: 9000', to: 'freshnessMs: 1000', at: 'code: P3', path: 'points[2].freshnessMs', message: /1000 ms is not longer than device "ch4-t1" pollMs 1000/ },
  { name: 'point zone missing', from: 'zones: [z1], role: heading.T1', to: 'zones: [z1, z9], role: heading.T1', at: 'code: P1', path: 'points[0].zones[1]', message: /no zone "z9" \(zones: z1\)/ },
  { name: 'output on a missing device', from: '{ id: siren, device: relay-1', to: '{ id: siren, device: relay-9', at: 'id: siren', path: 'outputs[1].device', message: /no device "relay-9"/ },
  { name: 'output channel not in profile', from: 'channel: coil6', to: 'channel: coil8', at: 'id: siren', path: 'outputs[1].channel', message: /profile "relay-module" has no channel "coil8"/ },
  { name: 'two outputs on one coil', from: 'channel: coil6', to: 'channel: coil0', at: 'id: siren', path: 'outputs[1].channel', message: /relay-1.coil0 is already driven by output "power"/ },
  { name: 'feed point missing', from: 'feedPoint: P2', to: 'feedPoint: P7', at: 'feedPoint', path: 'outputs[0].feedPoint', message: /no point "P7"/ },
  { name: 'feed point is not a feed sensor', from: 'feedPoint: P2', to: 'feedPoint: P1', at: 'feedPoint', path: 'outputs[0].feedPoint', message: /point "P1" has sensorType 0001; a feed point must be a feed sensor/ },
  { name: 'zone cuts a siren', from: 'outputs: [power]', to: 'outputs: [power, siren]', at: 'outputs: [power, siren]', path: 'zones[0].outputs[1]', message: /output "siren" is a siren; a zone's outputs must be power outputs/ },
  { name: 'governed zone without outputs', from: 'outputs: [power]', to: 'outputs: []', at: 'id: z1', path: 'zones[0].outputs', message: /a cut-off there would cut nothing/ },
];

describe('cross-checks', () => {
  it('the valid fixture passes every rule', () => {
    expect(parseConfigText(validConfig, FILE).config.points).toHaveLength(3);
  });

  it('every rule is a named function in the list', () => {
    expect(crossChecks.length).toBeGreaterThanOrEqual(15);
    for (const check of crossChecks) expect(check.name).toMatch(/^[a-z][A-Za-z]+$/);
  });

  it.each(cases)('$name', ({ from, to, at, path, message, count }) => {
    const text = edit(validConfig, from, to);
    const issues = issuesOf(() => parseConfigText(text, FILE));
    expect(issues).toHaveLength(count ?? 1);
    expect(issues[0]).toMatchObject({ file: FILE, line: lastLineOf(text, at), path });
    expect(issues[0]!.message).toMatch(message);
  });
});
