// A one-zone heading substation config for reload tests: methane T1/T2 point P1 cutting zone z1
// through relay coil0, on one Modbus TCP bus.
export function headingConfig(port: number, role: string, pollMs = 200): string {
  return `mine: { code: "140212000001", name: test }
substation: { code: T01, name: test }
buses:
  - { id: b, type: tcp, host: 127.0.0.1, port: ${port}, responseTimeoutMs: 200 }
devices:
  - { id: ch4, bus: b, unit: 1, profile: methane-sensor, pollMs: ${pollMs} }
  - { id: relay, bus: b, unit: 2, profile: relay-module, pollMs: 200 }
points:
  - { code: P1, sensorType: "0001", device: ch4, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: heading, role: ${role}, zones: [z1] }
zones:
  - { id: z1, name: heading, outputs: [power] }
outputs:
  - { id: power, device: relay, channel: coil0, kind: power }
`;
}
