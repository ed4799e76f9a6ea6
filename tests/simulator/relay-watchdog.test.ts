// The simulated relay module's hardware watchdog, over RTU frames on a real socket, written with
// modbus-serial's client (independent of our master): it trips when the heartbeat coil stops
// toggling, latches the guarded coils off, and gives them back only after the heartbeat returns
// AND the master writes them on.
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../simulator/errors.js';
import { parseScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { waitFor } from '../helpers/wait-for.js';

type Client = InstanceType<typeof ModbusRTU>;
const sims: SubstationSimulator[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((done) => (c.isOpen ? c.close(() => done()) : done()))));
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

const scenario = (watchdog: string, profile = 'watchdog-relay-module'): string => `
name: watchdog
buses:
  - id: relay
    listen: { type: rtu-over-tcp, host: 127.0.0.1, port: 0 }
    baudRate: 115200
    devices:
      - { unit: 1, profile: ${profile}, watchdog: ${watchdog} }
      - { unit: 2, profile: feed-sensor, follows: { unit: 1, channel: coil0, delayMs: 50 } }
`;

async function start(watchdog: string): Promise<{ sim: SubstationSimulator; client: Client; log: string[] }> {
  const log: string[] = [];
  const sim = new SubstationSimulator(parseScenario(scenario(watchdog), 'watchdog.yaml'), { log: (l) => log.push(l) });
  sims.push(sim);
  const [ep] = await sim.start({ paused: true });
  const client = new ModbusRTU();
  clients.push(client);
  await client.connectTelnet(ep!.host!, { port: ep!.port! });
  client.setTimeout(1000);
  client.setID(1);
  return { sim, client, log };
}

const coils = async (client: Client): Promise<boolean[]> => (await client.readCoils(0, 9)).data.slice(0, 9);

describe('relay-module watchdog (simulator)', () => {
  it('is not armed before the first heartbeat toggle: a module with no master keeps its coils', async () => {
    const { sim, client } = await start('{ heartbeat: heartbeat, timeoutMs: 100 }');
    await client.writeCoil(0, true);
    // Rewriting the same heartbeat value is no toggle: it neither arms nor feeds the watchdog.
    await client.writeCoil(8, false);
    await waitFor(() => sim.ticks >= 3, { what: 'three simulator ticks (300 ms, three watchdog times)' });
    expect(sim.watchdog('relay', 1).state).toBe('waiting');
    expect((await coils(client))[0]).toBe(true);
  });

  it('drops the guarded coils when the heartbeat stops toggling, latches them off, and gives them back only to a write after the heartbeat returns', async () => {
    const { sim, client, log } = await start('{ heartbeat: heartbeat, timeoutMs: 300, coils: [coil0, coil1] }');
    const watchdog = sim.watchdog('relay', 1);
    await client.writeCoils(0, [true, true, true]);
    let beat = false;
    const toggle = async (): Promise<void> => {
      beat = !beat;
      await client.writeCoil(8, beat);
    };
    // A live master: toggling every 100 ms for well over the watchdog time keeps the coils on.
    const alive = performance.now();
    for (;;) {
      await toggle();
      if (performance.now() - alive > 900) break;
      await new Promise((r) => setTimeout(r, 100)); // the master's own cadence, not a synchronisation
    }
    expect(watchdog.state).toBe('armed');
    expect((await coils(client)).slice(0, 3)).toEqual([true, true, true]);

    // The master goes silent.
    const silentFrom = performance.now();
    await waitFor(() => watchdog.state === 'tripped', { timeoutMs: 2000, intervalMs: 2, what: 'the watchdog to trip' });
    const tripAfter = performance.now() - silentFrom;
    expect(tripAfter).toBeGreaterThanOrEqual(250);
    expect(tripAfter).toBeLessThan(450);
    // Guarded coils off, the unguarded coil2 untouched; the contactor behind coil0 drops out.
    expect((await coils(client)).slice(0, 3)).toEqual([false, false, true]);
    client.setID(2);
    await waitFor(async () => (await client.readInputRegisters(0, 1)).data[0] === 0, { what: 'the feed sensor behind coil0 to see no power' });
    client.setID(1);
    expect(log.join('\n')).toMatch(/watchdog tripped, heartbeat heartbeat silent for \d+ ms: coil0, coil1 off \(latched\)/);

    // Without the heartbeat, a write is acknowledged but the coil stays off (the read-back says so).
    await client.writeCoil(0, true);
    expect((await coils(client))[0]).toBe(false);

    // The heartbeat comes back: re-armed, and still nothing comes on by itself.
    await toggle();
    expect(watchdog.state).toBe('armed');
    expect(watchdog.latchedCoils.sort()).toEqual(['coil0', 'coil1']);
    expect((await coils(client)).slice(0, 2)).toEqual([false, false]);
    // Only the master's write brings a coil back, one coil at a time.
    await client.writeCoil(0, true);
    expect((await coils(client)).slice(0, 2)).toEqual([true, false]);
    expect(watchdog.latchedCoils).toEqual(['coil1']);
    expect(watchdog.trips).toBe(1);
  });

  it('a scenario naming a coil the profile lacks, or the heartbeat among the dropped coils, is refused with the path', () => {
    const issues = (watchdog: string, profile?: string): string[] => {
      try {
        parseScenario(scenario(watchdog, profile), 'watchdog.yaml');
        return [];
      } catch (err) {
        if (err instanceof ScenarioError) return err.issues.map((i) => `${i.path}: ${i.message}`);
        throw err;
      }
    };
    expect(issues('{ heartbeat: coil9 }')).toEqual([expect.stringMatching(/^buses\[0\]\.devices\[0\]\.watchdog\.heartbeat: watchdog-relay-module has no writable coil "coil9"; its writable coils are coil0, .*heartbeat$/)]);
    expect(issues('{ heartbeat: heartbeat, coils: [coil0, heartbeat, coil0] }')).toEqual([
      'buses[0].devices[0].watchdog.coils[1]: "heartbeat" is the heartbeat itself; the watchdog drops the other coils',
      'buses[0].devices[0].watchdog.coils[2]: "coil0" is listed twice',
    ]);
    expect(issues('{ heartbeat: coil5, timeoutMs: 10 }', 'relay-module')).toEqual([expect.stringMatching(/^buses\[0\]\.devices\[0\]\.watchdog\.timeoutMs: /)]);
    expect(issues('{ heartbeat: coil5 }', 'relay-module')).toEqual([]);
  });
});
