import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText, UnknownPointError } from '../../edge/config/load-config.js';
import { edit, issuesOf, lineOf, tempTree, validConfig } from './fixtures.js';

const FILE = '/site/f009.yaml';
const parse = (text: string) => parseConfigText(text, FILE);

describe('defaults', () => {
  const loaded = parse(validConfig);

  it('resolves freshness to 3 poll intervals of the point device unless set', () => {
    expect(loaded.freshnessMs('P1')).toBe(3000); // ch4-t1 pollMs defaults to 1000
    expect(loaded.freshnessMs('P2')).toBe(6000); // feed-1 polls every 2000 ms
    expect(loaded.freshnessMs('P3')).toBe(9000); // explicit
  });

  it('fills bus and device defaults', () => {
    expect(loaded.busesById.get('rs485-1')).toEqual({
      id: 'rs485-1', type: 'rtu-serial', path: '/tmp/minegate-test-tty', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, responseTimeoutMs: 300, offlineProbeMs: 1000,
    });
    expect(loaded.busesById.get('field-bus')).toMatchObject({ port: 502, responseTimeoutMs: 300, offlineProbeMs: 1000 });
    expect(loaded.devicesById.get('ch4-t1')!.pollMs).toBe(1000);
    expect(loaded.config.outputs[0]!.kind).toBe('power');
  });

  it('rejects freshness questions about unknown points with a typed error', () => {
    expect(() => loaded.freshnessMs('NOPE')).toThrow(UnknownPointError);
    try {
      loaded.freshnessMs('NOPE');
    } catch (err) {
      expect(err).toMatchObject({ code: 'UNKNOWN_POINT', point: 'NOPE' });
    }
  });

  it('loads only the profiles the devices use', () => {
    expect([...loaded.profiles.keys()].sort()).toEqual(['feed-sensor', 'methane-sensor', 'relay-module']);
  });

  it('hands out a frozen config so no module can change it under the others', () => {
    expect(() => {
      (loaded.config.devices[0] as { pollMs: number }).pollMs = 1;
    }).toThrow(TypeError);
    expect(loaded.devicesById.get('ch4-t1')!.pollMs).toBe(1000);
  });
});

describe('reporting', () => {
  it('reports every schema issue in one go, each on its own line', () => {
    let text = edit(validConfig, 'unit: 10, profile: relay-module', 'unit: 300, profile: relay-module');
    text = edit(text, 'type: tcp', 'type: tpc');
    text = edit(text, 'code: "140212000001"', 'code: "1402"');
    text = edit(text, 'location: switch', 'location: switch, colour: red');
    const issues = issuesOf(() => parse(text));
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [1, 'mine.code'],
      [8, 'buses[1].type'],
      [12, 'devices[1].unit'],
      [16, 'points[1].colour'],
    ]);
    expect(issues[1]!.message).toMatch(/must be one of "rtu-serial", "tcp", "rtu-over-tcp"; got "tpc"/);
    expect(issues[3]!.message).toMatch(/unknown key "colour"/);
  });

  it('offlineProbeMs is per bus, and one out of range is named with its line', () => {
    const ok = parse(edit(validConfig, 'type: tcp', 'type: tcp\n    offlineProbeMs: 2500'));
    expect(ok.busesById.get('field-bus')!.offlineProbeMs).toBe(2500);
    const issues = issuesOf(() => parse(edit(validConfig, 'type: tcp', 'type: tcp\n    offlineProbeMs: 50')));
    expect(issues.map((i) => i.path)).toEqual(['buses[1].offlineProbeMs']);
  });

  it('reports every cross-reference issue in one go', () => {
    let text = edit(validConfig, 'bus: field-bus, unit: 1', 'bus: field-bus2, unit: 1');
    text = edit(text, 'device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, zones', 'device: ch4-t9, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, zones');
    text = edit(text, 'outputs: [power]', 'outputs: [power, siren, ghost]');
    const issues = issuesOf(() => parse(text));
    expect(issues.map((i) => `${i.line} ${i.path}`)).toEqual([
      `${lineOf(text, 'feed-1, bus: field-bus2')} devices[2].bus`,
      `${lineOf(text, 'ch4-t9')} points[0].device`,
      `${lineOf(text, 'outputs: [power, siren')} zones[0].outputs[1]`,
      `${lineOf(text, 'outputs: [power, siren')} zones[0].outputs[2]`,
    ]);
  });

  it('formats the error message as one "file:line:col path: message" per issue', () => {
    const text = edit(edit(validConfig, 'unit: 10, profile', 'unit: 1, profile'), 'name: heading', 'name: 7');
    const err = (() => {
      try {
        parse(text);
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    const line = lineOf(text, 'name: 7');
    const column = text.split('\n')[line - 1]!.indexOf('7') + 1;
    // The duplicate unit id (a cross-check) is reported with the schema error, not after it is fixed.
    const dup = lineOf(text, 'unit: 1, profile', lineOf(text, 'unit: 1, profile'));
    const dupColumn = text.split('\n')[dup - 1]!.indexOf('unit: 1') + 7;
    expect(err.message.split('\n')).toEqual([
      `/site/f009.yaml:${dup}:${dupColumn} devices[1].unit: unit id 1 is already used on bus "rs485-1" by device "ch4-t1" (line ${dup - 1})`,
      `/site/f009.yaml:${line}:${column} zones[0].name: expected string, got 7 (number)`,
    ]);
  });

  it('points a missing key at its parent mapping and an unknown key at the key itself', () => {
    const text = edit(validConfig, '  - id: field-bus\n    type: tcp\n    host: 127.0.0.1\n', '  - id: field-bus\n    type: tcp\n    hots: 127.0.0.1\n');
    const issues = issuesOf(() => parse(text));
    expect(issues).toEqual([
      { file: FILE, line: 7, column: 5, path: 'buses[1].host', message: 'missing required key "host" (string)' },
      { file: FILE, line: 9, column: 5, path: 'buses[1].hots', message: 'unknown key "hots"; did you mean "host"?' },
    ]);
  });

  it('reports a YAML syntax error alone (cross-checks would only echo it)', () => {
    const issues = issuesOf(() => parse(`${validConfig}extra: [1, 2\n`));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^YAML syntax/);
  });

  it('reports every duplicate key', () => {
    const text = edit(edit(validConfig, 'substation:', 'mine: { code: "1", name: x }\nsubstation:'), '{ id: z1, name: heading,', '{ id: z1, id: z2, name: heading,');
    const issues = issuesOf(() => parse(text));
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [2, 'mine', 'duplicate key "mine": each key may appear once in a mapping'],
      [lineOf(text, 'id: z2'), 'zones[0].id', 'duplicate key "id": each key may appear once in a mapping'],
    ]);
  });

  it('rejects an empty document and a list at the top', () => {
    expect(issuesOf(() => parse(''))).toEqual([{ file: FILE, line: 1, column: 1, path: '(root)', message: 'expected object, got null (empty value)' }]);
    expect(issuesOf(() => parse('- a\n- b\n'))[0]).toMatchObject({ path: '(root)', message: 'expected object, got a list' });
  });

  it('names the file when it cannot be read', () => {
    expect(issuesOf(() => loadConfig('/nonexistent/minegate.yaml'))).toEqual([
      { file: '/nonexistent/minegate.yaml', line: 0, column: 0, path: '(file)', message: 'cannot read the file (ENOENT)' },
    ]);
  });

  it('places an issue in repeated (aliased) content at the alias that repeats it', () => {
    let text = edit(validConfig, '  - { code: P1,', '  - &gas { code: P1,');
    text = edit(text, 'zones:\n', '  - *gas\nzones:\n');
    const issues = issuesOf(() => parse(text));
    expect(issues).toEqual([
      expect.objectContaining({
        line: lineOf(text, '- *gas'),
        path: 'points[3].code',
        message: `duplicate point code "P1" (first defined on line ${lineOf(text, '&gas')})`,
      }),
    ]);
  });
});

describe('options', () => {
  it('validates options with a TypeError naming the bad value', () => {
    expect(() => parseConfigText(validConfig, FILE, { profilesDir: '' })).toThrow(/profilesDir must be a non-empty string, got ""/);
    expect(() => parseConfigText(validConfig, FILE, { profilesDir: 7 as unknown as string })).toThrow(TypeError);
  });
});

describe('profiles next to the config', () => {
  let tree: ReturnType<typeof tempTree> | undefined;
  afterEach(() => {
    tree?.cleanup();
    tree = undefined;
  });

  const siteProfile = `name: site-gas
description: a site-specific methane board
kind: sensor
range: { low: 0, high: 10 }
channels:
  ch4: { table: input, address: 7, scale: 0.01, unit: "%CH4" }
`;

  it('finds a profile in a profiles/ folder beside the config file', () => {
    const config = edit(validConfig, 'profile: methane-sensor', 'profile: site-gas').replaceAll('channel: value', 'channel: ch4');
    tree = tempTree({ 'f009.yaml': config, 'profiles/site-gas.yaml': siteProfile });
    const loaded = loadConfig(tree.path('f009.yaml'));
    expect(loaded.profiles.get('site-gas')!.channels.ch4!.address).toBe(7);
  });

  it('finds a profile in an explicit profilesDir', () => {
    const config = edit(validConfig, 'profile: methane-sensor', 'profile: site-gas').replaceAll('channel: value', 'channel: ch4');
    tree = tempTree({ 'extra/site-gas.yaml': siteProfile });
    const loaded = parseConfigText(config, '/elsewhere/f009.yaml', { profilesDir: tree.path('extra') });
    expect(loaded.profiles.has('site-gas')).toBe(true);
  });

  it('reports a broken profile at its own file:line, and the devices that use it', () => {
    const config = edit(validConfig, 'profile: methane-sensor', 'profile: bad-gas');
    const broken = 'name: bad-gas\ndescription: x\nkind: sensor\nchannels:\n  value: { table: inputs, address: 0 }\n';
    tree = tempTree({ 'f009.yaml': config, 'profiles/bad-gas.yaml': broken });
    const issues = issuesOf(() => loadConfig(tree!.path('f009.yaml')));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: tree.path('profiles/bad-gas.yaml'), line: 5, path: 'channels.value.table' }),
        expect.objectContaining({ file: tree.path('f009.yaml'), line: lineOf(config, 'bad-gas'), path: 'devices[0].profile', message: expect.stringMatching(/profile "bad-gas" is invalid/) }),
      ]),
    );
  });
});
