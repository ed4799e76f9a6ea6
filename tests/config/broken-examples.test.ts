// Every file in board-configs/examples/broken/ holds exactly one kind of mistake, named on line 1.
// The loader must refuse it with an issue on the line of the mistake, naming the field.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { ConfigError, loadConfig } from '../../edge/config/load-config.js';

const brokenDir = join(boardConfigsDir(), 'examples', 'broken');

/** file → where the mistake is, which field the issue must name, and what it must say. */
const expected: Record<string, { line: number; path: string; message: RegExp }> = {
  '01-unknown-key.yaml': { line: 12, path: 'buses[0].bauRate', message: /unknown key "bauRate"; did you mean "baudRate"\?/ },
  '02-wrong-type.yaml': { line: 22, path: 'devices[1].pollMs', message: /expected number, got "fast"/ },
  '03-bad-mine-code.yaml': { line: 3, path: 'mine.code', message: /12-digit mine code.*"14021200001"/ },
  '04-baud-rate-not-allowed.yaml': { line: 12, path: 'buses[0].baudRate', message: /one of 1200, .*9600.*; got 9000/ },
  '05-point-missing-device.yaml': { line: 38, path: 'points[1].device', message: /no device "feed-2"/ },
  '06-device-missing-bus.yaml': { line: 23, path: 'devices[2].bus', message: /no bus "rs485-2"/ },
  '07-duplicate-unit-id.yaml': { line: 24, path: 'devices[2].unit', message: /unit id 10 is already used on bus "rs485-1" by device "relay-1" \(line 20\)/ },
  '08-channel-not-in-profile.yaml': { line: 30, path: 'points[0].channel', message: /profile "methane-sensor" has no channel "concentration"/ },
  '09-unknown-profile.yaml': { line: 17, path: 'devices[0].profile', message: /unknown profile "methane-sensr"/ },
  '10-output-not-writable.yaml': { line: 50, path: 'outputs[0].channel', message: /channel "state" of profile "feed-sensor" is not writable/ },
  '11-yaml-syntax-error.yaml': { line: 33, path: 'points[0].location', message: /YAML syntax: .*must be quoted/ },
  '12-duplicate-key.yaml': { line: 17, path: 'devices[0].unit', message: /duplicate key "unit"/ },
  // A missing key is reported on the line of the mapping that lacks it.
  '13-missing-key.yaml': { line: 14, path: 'devices[0].unit', message: /missing required key "unit"/ },
  '14-gas-point-on-relay.yaml': { line: 29, path: 'points[0].device', message: /gas point .* "relay-module" is a relay-module, not a sensor/ },
  '15-range-inverted.yaml': { line: 32, path: 'points[0].range', message: /range.high must exceed range.low/ },
  '16-zone-missing-output.yaml': { line: 46, path: 'zones[0].outputs[1]', message: /no output "fan-power"/ },
  '17-looser-threshold.yaml': { line: 36, path: 'points[0].thresholds.cutoff', message: /2\.0 %CH4 is looser than the heading\.T1 preset 1\.5 %CH4/ },
};

const files = readdirSync(brokenDir).filter((f) => f.endsWith('.yaml')).sort();

function issuesOf(file: string): ConfigError['issues'] {
  try {
    loadConfig(join(brokenDir, file));
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error(`${file} loaded without error`);
}

describe('broken example configs', () => {
  it('ships at least 8 broken files, each listed in this table', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files).toEqual(Object.keys(expected).sort());
  });

  it.each(files)('%s says on line 1 which mistake it holds', (file) => {
    expect(readFileSync(join(brokenDir, file), 'utf8').split('\n')[0]).toMatch(/^# \S.+:/);
  });

  it.each(files)('%s fails with one issue at the mistake', (file) => {
    const want = expected[file]!;
    const issues = issuesOf(file);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue).toMatchObject({ file: join(brokenDir, file), line: want.line, path: want.path });
    expect(issue!.message).toMatch(want.message);
    expect(issue!.column).toBeGreaterThan(0);
  });
});
