// Config reload in a running gateway: buffered data and holds survive, power is never switched
// on by the reload itself, and a loosening change needs a safety officer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewaySupervisor } from '../../edge/gateway-supervisor.js';
import { createLogger } from '../../edge/log.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { ProfileDevice } from '../../simulator/virtual-device.js';
import { waitFor } from '../helpers/wait-for.js';
import { headingConfig as configText } from '../helpers/heading-config.js';


describe('config reload (SIGHUP / minegate reload)', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function setup(role: string) {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    ch4.set('value', 0.3);
    const relay = new ProfileDevice('relay-module', { unit: 2 });
    const coilHistory: boolean[] = [];
    relay.on('change', (c) => {
      if (c.channel === 'coil0') coilHistory.push(Boolean(c.value));
    });
    const server = new ModbusSlaveServer({ type: 'tcp', host: '127.0.0.1', port: 0 }, [ch4, relay]);
    const { port } = await server.start();
    const dir = mkdtempSync(join(tmpdir(), 'minegate-reload-'));
    const file = join(dir, 'substation.yaml');
    writeFileSync(file, configText(port!, role));
    const sup = new GatewaySupervisor(file, { dataDir: join(dir, 'data'), logger: createLogger({}) });
    await sup.start();
    cleanup = async () => {
      await sup.stop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    return { ch4, relay, coilHistory, sup, file, port: port! };
  }

  const readingsStored = (sup: GatewaySupervisor) => sup.current.database.prepare('select count(*) from readings').pluck().get() as number;

  it('keeps the buffer and the holds, and never energizes a cut zone while reloading', async () => {
    const { ch4, relay, coilHistory, sup, file, port } = await setup('heading.T1');
    await waitFor(() => relay.get('coil0') === true, { what: 'power permitted after fresh readings' });

    ch4.set('value', 2.0);
    await waitFor(() => relay.get('coil0') === false, { what: 'methane cut-off' });
    await waitFor(() => readingsStored(sup) > 5, { what: 'readings stored' });
    const before = readingsStored(sup);
    const holdsBefore = sup.current.safety.engine.holds().map((h) => h.key);
    expect(holdsBefore.length).toBeGreaterThan(0);
    const cutAt = coilHistory.length;

    writeFileSync(file, configText(port, 'heading.T1', 300)); // a harmless change: poll interval
    const result = await sup.reload();
    expect(result).toMatchObject({ applied: true, loosening: [] });
    expect(sup.current.loaded.devicesById.get('ch4')!.pollMs).toBe(300);
    expect(readingsStored(sup)).toBeGreaterThanOrEqual(before);
    expect(sup.current.safety.engine.holds().map((h) => h.key)).toEqual(expect.arrayContaining(holdsBefore));
    await waitFor(() => sup.current.status().points[0]!.quality === 'good', { what: 'polling after reload' });
    expect(coilHistory.slice(cutAt)).not.toContain(true);
    expect(relay.get('coil0')).toBe(false);

    ch4.set('value', 0.3);
    await waitFor(() => relay.get('coil0') === true, { what: 'release below restore after reload' });
  });

  it('refuses a loosening change without a safety officer, applies it with one, and refuses an invalid file', async () => {
    const { relay, sup, file, port } = await setup('heading.T2'); // cut-off 1.0 %
    await waitFor(() => relay.get('coil0') === true, { what: 'power permitted' });

    writeFileSync(file, configText(port, 'heading.T1')); // cut-off 1.5 %: looser
    const refused = await sup.reload();
    expect(refused.applied).toBe(false);
    expect(refused.loosening.join('\n')).toMatch(/P1: cutoff 1 → 1.5/);
    expect(sup.current.loaded.pointsByCode.get('P1')!.role).toBe('heading.T2');

    const confirmed = await sup.reload({ confirmedBy: { operator: 'safety-zhang', reason: 'point moved to the face' } });
    expect(confirmed.applied).toBe(true);
    expect(sup.current.loaded.pointsByCode.get('P1')!.role).toBe('heading.T1');

    writeFileSync(file, readFileSync(file, 'utf8').replace('unit: 1,', 'unit: 1, bogus: 1,'));
    const invalid = await sup.reload();
    expect(invalid.applied).toBe(false);
    expect(invalid.refused).toMatch(/invalid config.*bogus/s);
    expect(sup.current.status().points[0]!.code).toBe('P1');
  });
});
