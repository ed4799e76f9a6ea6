// A small valid config as text, and helpers to break it one way or another in a test.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';

export const validConfig = `mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: F009, name: 测试分站 }
buses:
  - id: rs485-1
    type: rtu-serial
    path: /tmp/minegate-test-tty
  - id: field-bus
    type: tcp
    host: 127.0.0.1
devices:
  - { id: ch4-t1, bus: rs485-1, unit: 1, profile: methane-sensor }
  - { id: relay-1, bus: rs485-1, unit: 10, profile: relay-module, pollMs: 500 }
  - { id: feed-1, bus: field-bus, unit: 1, profile: feed-sensor, pollMs: 2000 }
points:
  - { code: P1, sensorType: "0001", device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, zones: [z1], role: heading.T1 }
  - { code: P2, sensorType: "1011", device: feed-1, channel: state, unit: "", range: { low: 0, high: 1 }, location: switch }
  - { code: P3, sensorType: "0001", device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, freshnessMs: 9000, zones: [z1], role: heading.T2 }
zones:
  - { id: z1, name: heading, outputs: [power] }
outputs:
  - { id: power, device: relay-1, channel: coil0, feedPoint: P2 }
  - { id: siren, device: relay-1, channel: coil6, kind: siren }
`;

/** Replace exactly one occurrence of `from` (fails loudly if the fixture drifted). */
export function edit(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`fixture edit: "${from}" occurs ${count} times`);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `needle` (so tests don't hard-code fixture lines). */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n');
  const index = lines.findIndex((l, i) => i >= after && l.includes(needle));
  if (index < 0) throw new Error(`fixture: no line contains "${needle}"`);
  return index + 1;
}

export function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

/** A temp folder with files; `cleanup()` removes it (call in afterEach). */
export function tempTree(files: Record<string, string>): { dir: string; path: (rel: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'minegate-config-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, path: (rel) => join(dir, rel), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
