// `minegate tap read|write` as built CLI processes against the fake Tap on a real TCP socket:
// typed values from a boards file, ad hoc reads, writes only where declared writable, audited.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditDatabase, queryAudit } from '../../edge/operators/audit.js';
import { OperatorStore } from '../../edge/operators/operator-store.js';
import { FakeTap } from '../../simulator/fake-tap.js';
import { minegate } from './helpers/cli.js';

let fake: FakeTap;
let dir: string;
let boardsFile: string;
let port: number;
const dataDir = (): string => join(dir, 'data');

beforeEach(async () => {
  const level = Buffer.alloc(4);
  level.writeFloatLE(2.5);
  fake = new FakeTap({ type: 'tcp', port: 0 }, { variables: { 3: new Uint8Array(level), 4: new Uint8Array([0x01, 0x2c]), 5: new Uint8Array([0]) } });
  port = (await fake.start()).port!;
  dir = mkdtempSync(join(tmpdir(), 'minegate-tap-'));
  boardsFile = join(dir, 'tap-boards.yaml');
  writeFileSync(boardsFile, `# Tap boards of substation T09
boards:
  pump-1:
    link: { type: tcp, host: 127.0.0.1, port: ${port} }
    variables:
      level:    { id: 3, type: float32, byteOrder: little, unit: m }
      setpoint: { id: 4, type: uint16, writable: true, unit: "L/min" }
      mode:     { id: 5, type: uint8 }
`);
  const store = new OperatorStore(dataDir(), { hashParams: { N: 1024, r: 8, p: 1 } });
  await store.add('chief', 'safety-officer', 'chief-pass-1', null);
  await store.add('zhang', 'technician', 'tech-pass-1', { name: 'chief', role: 'safety-officer' });
});

afterEach(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tech = { password: 'tech-pass-1' };

describe('minegate tap read', () => {
  it('reads a declared variable with its type, byte order and unit; --json parses', async () => {
    const r = await minegate(['tap', 'read', 'pump-1', 'level', '--boards', boardsFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pump-1\.level \(id 3\) = 2\.5 m {2}\[00002040\]/);
    const json = await minegate(['tap', 'read', 'pump-1', 'setpoint', '--boards', boardsFile, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ board: 'pump-1', variable: 'setpoint', id: 4, value: 300, hex: '012c', unit: 'L/min' });
    expect(fake.requests.map((q) => q.path)).toEqual(['/1029/3/4', '/1029/4/4']);
  });

  it('reads ad hoc by host, port and numeric id', async () => {
    const r = await minegate(['tap', 'read', 'bench', '4', '--host', '127.0.0.1', '--port', String(port), '--type', 'uint16', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ value: 300, hex: '012c' });
  });

  it('a variable the Tap does not have: exit 1 with the Tap status', async () => {
    const r = await minegate(['tap', 'read', 'bench', '77', '--host', '127.0.0.1', '--port', String(port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/read variable 77 refused: status 0x84/);
  });

  it('a serial link is refused with the reason (no published Tap framing on serial), unless it is declared a length-prefixed bridge; --help says why, and why BLE is not offered', async () => {
    writeFileSync(boardsFile, `boards:\n  pump-2:\n    link: { type: serial, path: /dev/null }\n    variables:\n      level: { id: 3 }\n`);
    const r = await minegate(['tap', 'read', 'pump-2', 'level', '--boards', boardsFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/board pump-2: serial link \/dev\/null refused: IoTize publishes no framing for Tap requests on a serial\/USB host link/);
    const adHoc = await minegate(['tap', 'read', 'bench', '3', '--serial', '/dev/null']);
    expect(adHoc.code).toBe(1);
    expect(adHoc.stderr).toMatch(/refused: IoTize publishes no framing/);
    const help = await minegate(['tap', 'read', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/Serial: refused unless framing: length-prefixed\. IoTize publishes no framing/);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/BLE: not offered\. BLE is not built: .*no Bluetooth stack or adapter/);
  });

  it('the same reads over minegate\'s length-prefixed bridge framing when declared', async () => {
    const bridge = new FakeTap({ type: 'tcp', port: 0 }, { framing: 'length-prefixed', variables: { 4: new Uint8Array([0x01, 0x2c]) } });
    const bridgePort = (await bridge.start()).port!;
    try {
      const r = await minegate(['tap', 'read', 'bench', '4', '--host', '127.0.0.1', '--port', String(bridgePort), '--framing', 'length-prefixed', '--type', 'uint16', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ value: 300 });
    } finally {
      await bridge.stop();
    }
  });

  it('an unreachable bridge fails within the timeout, exit 1', async () => {
    await fake.stop();
    const r = await minegate(['tap', 'read', 'pump-1', 'level', '--boards', boardsFile, '--timeout-ms', '300']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/minegate tap read: .*(ECONNREFUSED|connect)/);
  });
});

describe('minegate tap write', () => {
  it('writes a variable declared writable, reads it back and audits who and why', async () => {
    const r = await minegate(['tap', 'write', 'pump-1', 'setpoint', '450', '--boards', boardsFile, '-d', dataDir(), '--user', 'zhang', '--reason', 'new flow per order 7'], tech);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pump-1\.setpoint \(id 4\): 300 → 450: verified/);
    expect(fake.getVariable(4)).toEqual(new Uint8Array([0x01, 0xc2]));
    const db = openAuditDatabase(dataDir());
    const [row] = queryAudit(db);
    db.close();
    expect(row).toMatchObject({ operator: 'zhang', action: 'tap-write', target: 'pump-1.setpoint', reason: 'new flow per order 7', before: { value: 300 }, after: { value: 450, verified: true }, outcome: 'ok' });
  });

  it('refuses variables not declared writable, and ad hoc ids', async () => {
    const declared = await minegate(['tap', 'write', 'pump-1', 'mode', '1', '--boards', boardsFile, '-d', dataDir(), '--user', 'zhang', '--reason', 'r'], tech);
    expect(declared.code).toBe(1);
    expect(declared.stderr).toMatch(/pump-1\.mode is not declared writable/);
    const adHoc = await minegate(['tap', 'write', 'bench', '4', '1', '--host', '127.0.0.1', '--port', String(port), '-d', dataDir(), '--user', 'zhang', '--reason', 'r'], tech);
    expect(adHoc.code).toBe(1);
    expect(fake.getVariable(5)).toEqual(new Uint8Array([0]));
    expect(fake.getVariable(4)).toEqual(new Uint8Array([0x01, 0x2c]));
  });

  it('without --reason it is refused as a usage mistake (exit 2) and nothing is sent', async () => {
    const r = await minegate(['tap', 'write', 'pump-1', 'setpoint', '450', '--boards', boardsFile, '-d', dataDir(), '--user', 'zhang'], tech);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tap-write is a safety action: give --reason/);
    expect(fake.requests).toEqual([]);
  });

  it('a value that does not fit the type is refused before connecting', async () => {
    const r = await minegate(['tap', 'write', 'pump-1', 'setpoint', '70000', '--boards', boardsFile, '-d', dataDir(), '--user', 'zhang', '--reason', 'r'], tech);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/uint16 takes whole numbers 0\.\.65535, got 70000/);
    expect(fake.requests).toEqual([]);
  });
});
