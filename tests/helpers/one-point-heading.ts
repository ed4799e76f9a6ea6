// A one-point heading config (T1 cuts heading-power) written to a file, for CLI tests that read
// recorded readings (replay, migration). Port 15999 is never connected to: nothing is polled.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeOnePointHeadingConfig(dir: string, substationName: string): string {
  const file = join(dir, 'heading.yaml');
  writeFileSync(
    file,
    `mine: { code: "140212000001", name: test }
substation: { code: R01, name: ${substationName} }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: 15999 }
devices:
  - { id: ch4-t1, bus: field, unit: 1, profile: methane-sensor, pollMs: 1000 }
  - { id: relay-1, bus: field, unit: 2, profile: relay-module }
points:
  - { code: T1, sensorType: "0001", device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: face, role: heading.T1, zones: [heading] }
zones:
  - { id: heading, name: heading, outputs: [heading-power] }
outputs:
  - { id: heading-power, device: relay-1, channel: coil0, kind: power }
`,
  );
  return file;
}
