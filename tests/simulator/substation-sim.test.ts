// End to end: the simulated substation over real sockets and PTYs, read and written with
// modbus-serial's client (an implementation independent of ours).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../board-configs/paths.js';
import { runSimulator } from '../../simulator/run.js';
import { loadScenario, parseScenario, type Scenario } from '../../simulator/scenario.js';
import { type BusEndpointInfo, SubstationSimulator } from '../../simulator/substation-sim.js';
import { waitFor } from '../helpers/wait-for.js';

type Client = InstanceType<typeof ModbusRTU>;

const sims: SubstationSimulator[] = [];
const clients: Client[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((done) => (c.isOpen ? c.close(() => done()) : done()))));
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'minegate-sim-'));
  dirs.push(dir);
  return dir;
}

/** The shipped demo scenario, moved to free ports so it never collides with a running demo. */
function demoOnFreePorts(): Scenario {
  const demo = loadScenario(join(packageRoot(), 'simulator', 'scenarios', 'demo.yaml'));
  for (const bus of demo.buses) if (bus.listen.type !== 'rtu-pty') bus.listen.port = 0;
  // The reader line and the Modbus-FIFO readers too (15023/15024): a running demo held them.
  const p = demo.personnel;
  if (p?.line.type === 'tcp') p.line.port = 0;
  if (p?.modbus) p.modbus.port = 0;
  return demo;
}

async function started(scenario: Scenario, opts: { paused?: boolean; log?: (l: string) => void } = {}): Promise<{ sim: SubstationSimulator; endpoints: Map<string, BusEndpointInfo> }> {
  const sim = new SubstationSimulator(scenario, { ...(opts.log ? { log: opts.log } : {}) });
  sims.push(sim);
  const list = await sim.start({ paused: opts.paused ?? true });
  return { sim, endpoints: new Map(list.map((e) => [e.id, e])) };
}

async function tcpClient(ep: BusEndpointInfo, timeoutMs = 1000): Promise<Client> {
  const client = new ModbusRTU();
  clients.push(client);
  if (ep.type === 'tcp') await client.connectTCP(ep.host!, { port: ep.port! });
  // modbus-serial's "Telnet" port is raw RTU frames over TCP (its TcpRTUBuffered speaks MBAP).
  else await client.connectTelnet(ep.host!, { port: ep.port! });
  client.setTimeout(timeoutMs);
  return client;
}

async function inputs(client: Client, unit: number, address: number, count: number): Promise<number[]> {
  client.setID(unit);
  return (await client.readInputRegisters(address, count)).data;
}

describe('demo scenario over real Modbus', () => {
  it('serves the six field-bus sensors on Modbus TCP with plausible demo values that match the devices', async () => {
    const { sim, endpoints } = await started(demoOnFreePorts());
    const client = await tcpClient(endpoints.get('field-bus')!);

    const [ch4T1, statusT1] = await inputs(client, 1, 0, 2);
    expect(ch4T1! * 0.01).toBeGreaterThanOrEqual(0.33);
    expect(ch4T1! * 0.01).toBeLessThanOrEqual(0.37);
    expect(statusT1).toBe(0);
    expect(ch4T1! * 0.01).toBeCloseTo(sim.device('field-bus', 1).get('value') as number, 9);
    const [ch4T2] = await inputs(client, 2, 0, 1);
    expect(ch4T2! * 0.01).toBeCloseTo(0.3, 1);
    const [co] = await inputs(client, 3, 0, 1);
    expect(co).toBeGreaterThanOrEqual(5);
    expect(co).toBeLessThanOrEqual(7);
    const [wind] = await inputs(client, 4, 0, 1);
    expect(wind! * 0.01).toBeCloseTo(1.2, 1);
    const [temp] = await inputs(client, 5, 0, 1);
    expect(temp! * 0.1).toBeCloseTo(24, 0);
    const [fanState, fanStatus, airflow] = await inputs(client, 6, 0, 3);
    expect(fanState).toBe(1);
    expect(fanStatus).toBe(0);
    expect(airflow! * 0.1).toBeGreaterThan(245);
    expect(airflow! * 0.1).toBeLessThan(255);
  });

  it('T1 makes its cut-off excursion to 1.8 %CH4, then a slow one to 1.2 % and back (demo scenario, period 1 h)', async () => {
    const { sim, endpoints } = await started(demoOnFreePorts());
    const client = await tcpClient(endpoints.get('field-bus')!);
    const t1 = async (): Promise<number> => (await inputs(client, 1, 0, 1))[0]! * 0.01;
    await sim.advanceTo(60);
    expect(await t1()).toBeCloseTo(0.35, 1);
    await sim.advanceTo(100);
    expect(await t1()).toBeCloseTo(1.8, 1);
    await sim.advanceTo(210);
    expect(await t1()).toBeCloseTo(1.2, 1);
    await sim.advanceTo(290);
    expect(await t1()).toBeCloseTo(0.35, 1);
  });

  it('a feed sensor follows a relay coil written over the wire, after its delay; a welded contactor does not', async () => {
    const { sim, endpoints } = await started(demoOnFreePorts());
    const rs485 = endpoints.get('rs485-tcp')!;
    expect(rs485).toMatchObject({ type: 'rtu-over-tcp', baudRate: 9600 });
    const client = await tcpClient(rs485);
    const feed = async (unit: number): Promise<number> => (await inputs(client, unit, 0, 1))[0]!;

    client.setID(1);
    expect((await client.readCoils(0, 8)).data.slice(0, 8)).toEqual([false, false, false, false, false, false, false, false]);
    expect(await feed(2)).toBe(0);

    client.setID(1);
    const written = performance.now();
    await client.writeCoil(0, true);
    expect(sim.device('rs485-tcp', 1).get('coil0')).toBe(true);
    await waitFor(async () => (await feed(2)) === 1, { timeoutMs: 3000, what: 'feed sensor 2 to see power' });
    const elapsed = performance.now() - written;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2000);
    expect(await feed(3)).toBe(0); // follows coil1, untouched

    // Weld the heading contactor, then cut heading power and switch the fan feed on together: once
    // the fan feed (same 300 ms delay, scheduled later) has moved, the welded one would have too.
    sim.setStuck('rs485-tcp', 2, true);
    client.setID(1);
    await client.writeCoils(0, [false, true]);
    await waitFor(async () => (await feed(3)) === 1, { timeoutMs: 3000, what: 'feed sensor 3 to see power' });
    expect(await feed(2)).toBe(1);

    sim.setStuck('rs485-tcp', 2, false);
    await waitFor(async () => (await feed(2)) === 0, { timeoutMs: 3000, what: 'repaired contactor to drop out' });
  });

  it('a board re-addressed over the wire answers on its new unit id only', async () => {
    const { sim, endpoints } = await started(demoOnFreePorts());
    const client = await tcpClient(endpoints.get('field-bus')!);
    client.setID(4);
    await client.writeRegister(100, 44);
    expect((await inputs(client, 44, 0, 2)).length).toBe(2);
    client.setID(44);
    expect((await client.readHoldingRegisters(100, 1)).data).toEqual([44]);
    // Modbus TCP: an address nobody answers on is exception 0B (gateway target failed to respond).
    await expect(inputs(client, 4, 0, 1)).rejects.toMatchObject({ modbusCode: 0x0b });
    expect(sim.device('field-bus', 44).profile.name).toBe('wind-speed-sensor');
    expect(() => sim.device('field-bus', 4)).toThrow(expect.objectContaining({ code: 'unknown-device' }));
  });
});

describe('faults scenario', () => {
  it('plays every fault of faults.yaml on the wire, and each one clears', async () => {
    const faults = loadScenario(join(packageRoot(), 'simulator', 'scenarios', 'faults.yaml'));
    for (const bus of faults.buses) if (bus.listen.type !== 'rtu-pty') bus.listen.port = 0;
    const { sim, endpoints } = await started(faults);
    // A client that saw garbage or a late reply may be out of step (that is the gateway's problem to
    // solve, not the oracle's): take a fresh connection after each such fault.
    const fresh = (bus: string): Promise<Client> => tcpClient(endpoints.get(bus)!, 250);
    let field = await fresh('field-bus');
    let rs485 = await fresh('rs485-tcp');
    const read = (client: Client, unit: number, count = 1): Promise<number[]> => inputs(client, unit, 0, count);
    const healthy = async (): Promise<void> => {
      for (const unit of [1, 2, 3, 4, 5, 6]) expect((await read(field, unit, 2))[1]).toBe(0);
      for (const unit of [2, 3]) expect(await read(rs485, unit)).toHaveLength(1);
    };
    await healthy();

    await sim.advanceTo(20);
    await expect(read(field, 1)).rejects.toThrow(/timed out/i); // no-response
    await sim.advanceTo(40);
    expect(await read(field, 1)).toHaveLength(1);
    await expect(read(field, 2)).rejects.toThrow(); // garbage
    field = await fresh('field-bus');
    await sim.advanceTo(60);
    await expect(read(rs485, 3)).rejects.toThrow(/CRC/); // crc-error on the RTU line
    rs485 = await fresh('rs485-tcp');
    await sim.advanceTo(80);
    await expect(read(field, 4)).rejects.toThrow(); // wrong-unit
    field = await fresh('field-bus');
    await sim.advanceTo(100);
    await expect(read(field, 5)).rejects.toThrow(); // wrong-function
    field = await fresh('field-bus');
    await sim.advanceTo(112);
    const patient = await tcpClient(endpoints.get('field-bus')!, 2000);
    const asked = performance.now();
    expect(await read(patient, 4)).toHaveLength(1); // slow board: answers, 250 ms late
    expect(performance.now() - asked).toBeGreaterThanOrEqual(245);
    await sim.advanceTo(120);
    await expect(read(field, 5)).rejects.toMatchObject({ modbusCode: 4 }); // device-failure
    await sim.advanceTo(140);
    expect((await read(field, 1, 2))[1]).toBe(0b001); // sensorFault
    await sim.advanceTo(170);
    expect((await read(field, 1, 2))[1]).toBe(0);
    expect((await read(field, 2, 2))[1]).toBe(0b010); // calibrating
    await sim.advanceTo(190);
    expect(await read(field, 3, 2)).toEqual([1200, 0b100]); // over-range
    await sim.advanceTo(210);
    expect((await read(field, 1))[0]! * 0.01).toBeCloseTo(1.6, 9); // over cut-off
    await sim.advanceTo(250);
    expect((await read(field, 1))[0]! * 0.01).toBeCloseTo(0.35, 1);

    // The welded contactor: coil0 was never energised here, so the stuck feed stays dead while coil0 goes on.
    rs485.setID(1);
    await rs485.writeCoils(0, [true, true]);
    await waitFor(async () => (await read(rs485, 3))[0] === 1, { timeoutMs: 3000, what: 'fan feed to follow coil1' });
    expect(await read(rs485, 2)).toEqual([0]);
    await sim.advanceTo(290);
    await waitFor(async () => (await read(rs485, 2))[0] === 1, { timeoutMs: 3000, what: 'repaired contactor to follow coil0' });

    await sim.advanceTo(300);
    expect(await read(field, 6, 3)).toEqual([0, 0, 0]); // local fan stopped
    await sim.advanceTo(330);
    expect((await read(field, 6, 3))[0]).toBe(1);
    await expect(read(rs485, 2)).rejects.toThrow(); // converter gone
    const refused = new ModbusRTU();
    clients.push(refused);
    await expect(refused.connectTelnet('127.0.0.1', { port: endpoints.get('rs485-tcp')!.port! })).rejects.toThrow(/ECONNREFUSED/);
    await sim.advanceTo(400);
    rs485 = await fresh('rs485-tcp');
    rs485.setID(1);
    expect((await rs485.readCoils(0, 2)).data.slice(0, 2)).toEqual([true, true]);
    await healthy();
    expect(await read(rs485, 2)).toEqual([1]);
  });
});

const timelineScenario = `name: timeline
seed: 3
buses:
  - id: field-bus
    listen: { type: tcp, port: 0 }
    devices:
      - unit: 1
        profile: methane-sensor
        values:
          value: { ramp: { from: 0.2, to: 1.2, start: 10, duration: 60 } }
      - { unit: 2, profile: co-sensor, values: { value: 6 } }
events:
  - { at: 30, until: 40, bus: field-bus, unit: 1, fault: no-response }
  - { at: 50, until: 60, bus: field-bus, unit: 1, set: { value: 2.0 } }
  - { at: 65, bus: field-bus, unit: 1, status: { sensorFault: true }, until: 70 }
  - { at: 80, until: 90, bus: field-bus, unit: 2, fault: device-failure }
  - { at: 95, until: 99, bus: field-bus, unit: 2, responseDelayMs: 400 }
  - { at: 100, until: 110, bus: field-bus, down: true }
`;

describe('scenario clock, signals and events', () => {
  it('advanceTo jumps deterministically, firing the events passed on the way', async () => {
    const log: string[] = [];
    const { sim, endpoints } = await started(parseScenario(timelineScenario, 'timeline.yaml'), { log: (l) => log.push(l) });
    const client = await tcpClient(endpoints.get('field-bus')!, 300);
    const value = async (): Promise<[number, number]> => {
      const [raw, status] = await inputs(client, 1, 0, 2);
      return [raw! * 0.01, status!];
    };

    expect(await value()).toEqual([0.2, 0]);
    await sim.advanceTo(25);
    expect((await value())[0]).toBeCloseTo(0.45, 9);
    await sim.advanceTo(30);
    await expect(value()).rejects.toThrow(/timed out/i);
    await sim.advanceTo(40);
    expect((await value())[0]).toBeCloseTo(0.7, 9);
    await sim.advanceTo(55);
    expect(await value()).toEqual([2, 0]);
    await sim.advanceTo(60);
    expect((await value())[0]).toBeCloseTo(1.03, 9); // 0.2 + 50/60, to one LSB
    await sim.advanceTo(66);
    expect(await value()).toEqual([expect.closeTo(1.13, 9), 0b001]);
    await sim.advanceTo(70);
    expect((await value())[1]).toBe(0);

    await sim.advanceTo(80);
    await expect(inputs(client, 2, 0, 1)).rejects.toMatchObject({ modbusCode: 4 });
    await sim.advanceTo(95);
    let asked = performance.now();
    await expect(inputs(client, 2, 0, 1)).rejects.toThrow(/timed out/i); // 400 ms late > 300 ms timeout
    expect(performance.now() - asked).toBeGreaterThanOrEqual(290);
    await sim.advanceTo(99);
    asked = performance.now();
    expect(await inputs(client, 2, 0, 1)).toEqual([6]);
    expect(performance.now() - asked).toBeLessThan(250);

    await expect(sim.advanceTo(50)).rejects.toMatchObject({ code: 'time-backwards' });
    expect(log.some((l) => /t=30s field-bus unit 1: no-response begins/.test(l))).toBe(true);
    expect(log.some((l) => /t=50s field-bus unit 1: set value=2/.test(l))).toBe(true);
  });

  it('a bus-down event closes the listener; it comes back on the same port', async () => {
    const { sim, endpoints } = await started(parseScenario(timelineScenario, 'timeline.yaml'));
    const port = endpoints.get('field-bus')!.port!;
    await sim.advanceTo(100);
    const refused = new ModbusRTU();
    clients.push(refused);
    await expect(refused.connectTCP('127.0.0.1', { port })).rejects.toThrow(/ECONNREFUSED/);
    await sim.advanceTo(110);
    expect(sim.endpoints[0]!.port).toBe(port);
    const client = await tcpClient(endpoints.get('field-bus')!);
    expect(await inputs(client, 2, 0, 1)).toEqual([6]);
  });

  it('a port in use fails start with listen-failed and leaves no bus of that simulator listening', async () => {
    const { endpoints } = await started(parseScenario(timelineScenario, 'timeline.yaml'));
    const taken = endpoints.get('field-bus')!.port!;
    const clash = parseScenario(
      `name: clash
buses:
  - { id: first, listen: { type: tcp, port: 0 }, devices: [{ unit: 1, profile: relay-module }] }
  - { id: second, listen: { type: rtu-over-tcp, port: ${taken} }, devices: [{ unit: 1, profile: relay-module }] }
`,
      'clash.yaml',
    );
    const sim = new SubstationSimulator(clash);
    sims.push(sim);
    await expect(sim.start()).rejects.toMatchObject({ code: 'listen-failed', message: expect.stringMatching(new RegExp(`second: cannot serve rtu-over-tcp on 127\\.0\\.0\\.1:${taken}: EADDRINUSE`)) });
    const first = sim.endpoints.find((e) => e.id === 'first')!;
    const probe = new ModbusRTU();
    clients.push(probe);
    await expect(probe.connectTCP('127.0.0.1', { port: first.port! })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a bus-down event at t = 0 takes the bus down right after start', async () => {
    const { endpoints } = await started(
      parseScenario(
        `name: down-at-0
buses:
  - { id: b, listen: { type: tcp, port: 0 }, devices: [{ unit: 1, profile: relay-module }] }
events:
  - { at: 0, until: 5, bus: b, down: true }
`,
        'down.yaml',
      ),
    );
    const probe = new ModbusRTU();
    clients.push(probe);
    await expect(probe.connectTCP('127.0.0.1', { port: endpoints.get('b')!.port! })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('pause holds hand-set values; the running clock drives the programs again after resume', async () => {
    const { sim, endpoints } = await started(parseScenario(timelineScenario, 'timeline.yaml'), { paused: false });
    const client = await tcpClient(endpoints.get('field-bus')!);
    expect(sim.paused).toBe(false);
    await waitFor(() => sim.time > 0.25, { timeoutMs: 3000, what: 'the scenario clock to run' });

    sim.pause();
    const frozen = sim.time;
    sim.device('field-bus', 2).set('value', 42);
    // Two ticks pass: a running program would have put 6 back on the first.
    const ticks = sim.ticks;
    await waitFor(() => sim.ticks >= ticks + 2, { timeoutMs: 2000, what: 'two clock ticks' });
    expect(await inputs(client, 2, 0, 1)).toEqual([42]);
    expect(sim.time).toBe(frozen);

    sim.resume();
    await waitFor(async () => (await inputs(client, 2, 0, 1))[0] === 6, { timeoutMs: 3000, what: 'program to drive CO again' });
    expect(sim.time).toBeGreaterThan(frozen);
  });
});

describe('RTU on a real serial PTY (socat)', () => {
  it('serves the gateway end of a PTY pair with line time at the bus baud rate', async () => {
    const dir = tempDir();
    const link = join(dir, 'ttyS-field');
    const scenario = parseScenario(
      `name: pty
buses:
  - id: rs485
    listen: { type: rtu-pty, link: ${link} }
    baudRate: 9600
    devices:
      - { unit: 7, profile: temperature-sensor, values: { value: -3.5 } }
`,
      'pty.yaml',
    );
    const { endpoints } = await started(scenario);
    expect(endpoints.get('rs485')).toMatchObject({ type: 'rtu-pty', link, servedPath: `${link}.sim`, baudRate: 9600 });
    const client = new ModbusRTU();
    clients.push(client);
    await client.connectRTUBuffered(link, { baudRate: 9600 });
    client.setTimeout(1000);
    client.setID(7);
    const asked = performance.now();
    const { data } = await client.readInputRegisters(0, 2);
    const elapsed = performance.now() - asked;
    expect(new DataView(Uint16Array.of(data[0]!).buffer).getInt16(0, true) * 0.1).toBeCloseTo(-3.5, 9);
    expect(data[1]).toBe(0);
    // 8-byte request + 9-byte reply at 10 bits per character and 9600 baud: 17.7 ms on a real line.
    expect(elapsed).toBeGreaterThanOrEqual(17);
  });

  it('bus down removes the PTY (an unplugged adapter); back up, the same path serves again', async () => {
    const dir = tempDir();
    const link = join(dir, 'ttyUSB0');
    const { sim } = await started(
      parseScenario(
        `name: unplug
buses:
  - { id: rs485, listen: { type: rtu-pty, link: ${link} }, baudRate: 38400, devices: [{ unit: 2, profile: feed-sensor, initial: { state: 1 } }] }
`,
        'unplug.yaml',
      ),
    );
    const read = async (): Promise<number[]> => {
      const client = new ModbusRTU();
      clients.push(client);
      await client.connectRTUBuffered(link, { baudRate: 38400 });
      client.setTimeout(1000);
      client.setID(2);
      const { data } = await client.readInputRegisters(0, 2);
      await new Promise<void>((done) => client.close(() => done()));
      return data;
    };
    expect(await read()).toEqual([1, 0]);
    await sim.setBusDown('rs485', true);
    expect(existsSync(link)).toBe(false);
    await sim.setBusDown('rs485', false);
    expect(existsSync(link)).toBe(true);
    expect(await read()).toEqual([1, 0]);
  });

  it('says clearly that socat is missing instead of failing obscurely', async () => {
    const dir = tempDir();
    const scenario = parseScenario(
      `name: pty
buses:
  - id: rs485
    listen: { type: rtu-pty, link: ${join(dir, 'tty')} }
    devices: [{ unit: 1, profile: relay-module }]
`,
      'pty.yaml',
    );
    const sim = new SubstationSimulator(scenario);
    sims.push(sim);
    const path = process.env.PATH;
    process.env.PATH = dir; // no socat in here
    try {
      await expect(sim.start()).rejects.toMatchObject({ code: 'socat-missing', message: expect.stringMatching(/needs socat .*apt-get install socat/) });
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('runSimulator', () => {
  it('starts the scenario in a file and logs where each bus listens', async () => {
    const dir = tempDir();
    const file = join(dir, 'mini.yaml');
    writeFileSync(file, 'name: mini\nbuses:\n  - id: b1\n    listen: { type: rtu-over-tcp, port: 0 }\n    devices: [{ unit: 1, profile: relay-module }]\n');
    const lines: string[] = [];
    const sim = await runSimulator(file, (l) => lines.push(l));
    sims.push(sim);
    const port = sim.endpoints[0]!.port!;
    expect(port).toBeGreaterThan(0);
    expect(lines).toContain(`b1: Modbus RTU over TCP on 127.0.0.1:${port} (9600 baud line time) — units 1 relay-module`);
    expect(lines[0]).toMatch(/^scenario "mini" \(.*mini\.yaml\): 1 bus\(es\), 0 timed event\(s\)$/);
  });

  it('refuses a broken scenario with file:line', async () => {
    const dir = tempDir();
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: broken\nbuses:\n  - id: b1\n    listen: { type: tcp, port: 0 }\n    devices: [{ unit: 1, profile: relais-module }]\n');
    await expect(runSimulator(file, () => undefined)).rejects.toThrow(`${file}:5:`);
  });
});
