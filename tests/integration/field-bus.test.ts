// Foundation acceptance over real wires: the gateway polling simulated slaves through a socat PTY
// pair with RTU framing, CRC and real line time at 9600 baud.
import { monotonicMs } from '../../core/clock.js';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { gapsAfter, startSubstation, type Substation } from './fixtures.js';

const POLL_MS = 500;
const TIMEOUT_MS = 200;

describe('RTU field bus over a PTY pair', () => {
  let sub: Substation | undefined;
  afterEach(async () => {
    await sub?.close();
    sub = undefined;
  });

  const deviceState = (s: Substation, id: string) => s.gateway.status().devices.find((d) => d.id === id)!;

  it('reads every point with good quality and the values the slaves hold', async () => {
    sub = await startSubstation({ transport: 'rtu-pty', sensors: 3, pollMs: POLL_MS, responseTimeoutMs: TIMEOUT_MS });
    const s = sub;
    await waitFor(() => s.gateway.status().points.every((p) => p.quality === 'good'), { what: 'all points good' });
    expect(s.gateway.status().points.map((p) => p.value)).toEqual([0.3, 0.4, 0.5]);
    s.sensors[0]!.set('value', 1.23);
    await waitFor(() => s.gateway.points.current('P1').value === 1.23, { what: 'new value polled' });
  });

  it('one dead slave of three: the others keep their interval within one response timeout; it goes offline after 3 failed polls and recovers by itself', async () => {
    sub = await startSubstation({ transport: 'rtu-pty', sensors: 3, pollMs: POLL_MS, responseTimeoutMs: TIMEOUT_MS, poller: { probeMs: 1500 } });
    const s = sub;
    await waitFor(() => s.gateway.status().points.every((p) => p.quality === 'good'), { what: 'all points good' });
    const since = monotonicMs();
    s.sensors[1]!.setWireFault('no-response');

    await waitFor(() => deviceState(s, 'ch4-2').state === 'offline', { what: 'ch4-2 offline' });
    expect(deviceState(s, 'ch4-2').consecutiveFailures).toBe(3);
    expect(s.gateway.points.current('P2')).toMatchObject({ quality: 'comm-fault', value: null });

    // Let a few quarantine probes happen while the healthy slaves keep polling.
    const failuresAtOffline = deviceState(s, 'ch4-2').failures;
    await waitFor(() => deviceState(s, 'ch4-2').failures >= failuresAtOffline + 2, { what: 'two quarantine probes' });

    s.sensors[1]!.setWireFault(null);
    await waitFor(() => deviceState(s, 'ch4-2').state === 'online', { what: 'ch4-2 back online' });
    await waitFor(() => s.gateway.points.current('P2').quality === 'good', { what: 'P2 good again' });

    for (const p of ['P1', 'P3']) {
      const gaps = gapsAfter(s.readings, p, since);
      expect(gaps.length).toBeGreaterThan(5);
      // 9600 baud line time of a 2-register read is ~20 ms; allow it on top of one timeout.
      expect(Math.max(...gaps)).toBeLessThanOrEqual(POLL_MS + TIMEOUT_MS + 50);
    }
  });

  it('the serial device disappears and reappears (PTY pair killed and recreated): polling resumes without a restart', async () => {
    sub = await startSubstation({ transport: 'rtu-pty', sensors: 2, pollMs: POLL_MS, responseTimeoutMs: TIMEOUT_MS, poller: { probeMs: 1000 } });
    const s = sub;
    await waitFor(() => s.gateway.status().points.every((p) => p.quality === 'good'), { what: 'all points good' });

    await s.pty!.kill();
    await waitFor(() => s.gateway.status().buses[0]!.open === false, { what: 'bus link closed' });
    await waitFor(() => s.gateway.status().devices.every((d) => d.state === 'offline'), { what: 'devices offline' });
    expect(s.gateway.points.current('P1').quality).not.toBe('good');

    await s.pty!.recreate();
    await s.server.start();
    const back = monotonicMs();
    await waitFor(() => s.readings.some((r) => r.point === 'P1' && r.quality === 'good' && r.monoTime > back), { what: 'fresh good reading after replug', timeoutMs: 15_000 });
    expect(s.gateway.status().buses[0]!.open).toBe(true);
    expect(s.gateway.status().buses[0]!.stats.reopens).toBeGreaterThanOrEqual(1);
  });

  it('garbage bytes and bad CRCs on the line: no crash, the next valid reply is read', async () => {
    sub = await startSubstation({ transport: 'rtu-pty', sensors: 2, pollMs: 200, responseTimeoutMs: TIMEOUT_MS });
    const s = sub;
    await waitFor(() => s.gateway.status().points.every((p) => p.quality === 'good'), { what: 'all points good' });

    s.sensors[0]!.setWireFault('crc-error');
    for (let i = 0; i < 10; i++) s.server.inject(randomBytes(7 + i));
    await waitFor(() => s.gateway.status().buses[0]!.stats.crcErrors + s.gateway.status().buses[0]!.stats.discardedBytes > 0, { what: 'bad frames seen' });
    s.sensors[0]!.setWireFault('garbage');
    await waitFor(() => deviceState(s, 'ch4-1').failures >= 2, { what: 'garbage replies rejected' });
    s.sensors[0]!.setWireFault(null);

    const clean = monotonicMs();
    s.sensors[0]!.set('value', 0.77);
    await waitFor(() => s.readings.some((r) => r.point === 'P1' && r.value === 0.77 && r.monoTime > clean), { what: 'next valid reply read' });
    // The healthy neighbour never lost its good readings for long.
    expect(s.gateway.points.current('P2').quality).toBe('good');
  });
});

describe('Modbus TCP field bus', () => {
  let sub: Substation | undefined;
  afterEach(async () => {
    await sub?.close();
    sub = undefined;
  });

  it('polls over a real TCP socket and writes readings to the SQLite store', async () => {
    sub = await startSubstation({ transport: 'tcp', sensors: 2, pollMs: 200, responseTimeoutMs: TIMEOUT_MS });
    const s = sub;
    await waitFor(() => s.gateway.status().points.every((p) => p.quality === 'good'), { what: 'all points good' });
    await waitFor(() => s.gateway.status().store.written >= 4, { what: 'readings stored', timeoutMs: 5000 });
    const rows = s.gateway.database.prepare('select point, value, quality from readings order by id limit 2').all();
    expect(rows).toEqual(expect.arrayContaining([{ point: 'P1', value: 0.3, quality: 'good' }]));
  });
});
