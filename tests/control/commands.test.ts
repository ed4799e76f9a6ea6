// The technician's safety commands as built CLI processes against a live gateway: status and
// events (table and --json), remote cut and release under the right and the wrong authority, fan
// unlock refused while there is nothing to unlock, alarm acknowledge, and the audit rows they leave.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openAuditDatabase, queryAudit } from '../../edge/operators/audit.js';
import { waitFor } from '../helpers/wait-for.js';
import { minegate } from '../ops/helpers/cli.js';
import { type ControlRig, startControlRig, ZONE } from './rig.js';

let rig: ControlRig;

beforeAll(async () => {
  rig = await startControlRig();
});
afterAll(async () => {
  await rig?.close();
});
beforeEach(async () => {
  await rig.settled();
});
afterEach(() => {
  // A test that failed half-way must not leave the zone cut for the next one.
  const engine = rig.gateway.safety.engine;
  for (const c of engine.activeRemoteCuts()) engine.remoteRelease({ id: c.id, authority: c.authority, operator: 'test-cleanup' }, rig.gateway.clock.mono());
  for (const d of Object.values(rig.devices)) d.setDeviceFailure(false);
  rig.devices.t1.set('value', 0.2);
  rig.devices.t2.set('value', 0.2);
  rig.devices.fan.set('state', 1);
});

function audit(filter: Parameters<typeof queryAudit>[1]) {
  const db = openAuditDatabase(rig.dataDir);
  try {
    return queryAudit(db, filter);
  } finally {
    db.close();
  }
}

function activeCuts(): string[] {
  return rig.gateway.safety.engine.activeRemoteCuts().map((c) => c.id);
}

describe('minegate status', () => {
  it('shows points, outputs, holds and alarms of the running gateway; --json parses', async () => {
    const table = await rig.cli(['status']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/F001 3101掘进工作面分站/);
    expect(table.stdout).toMatch(/F001A01 .*0\.20 .*%CH4 .*good/);
    expect(table.stdout).toMatch(/heading-power +power +ON +yes/);
    expect(table.stdout).toMatch(/holds:\n {2}none: every power output is permitted/);
    const json = await rig.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s.substation.code).toBe('F001');
    expect(s.status.points.find((p: { code: string }) => p.code === 'F001A01')).toMatchObject({ value: 0.2, quality: 'good' });
    expect(s.status.outputs.map((o: { id: string }) => o.id)).toEqual(['heading-power', 'fan-power', 'siren', 'beacon']);
  });

  it('shows the sections other modules add (people, seals, sync …); a failing one says so without failing status', async () => {
    rig.control.addStatusSection('people underground:', () => ({ title: 'people underground:', body: '  12 in zone 3101', data: { count: 12 } }));
    rig.control.addStatusSection('sync:', () => {
      throw new Error('outbox not open');
    });
    const table = await rig.cli(['status']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/people underground:\n {2}12 in zone 3101/);
    expect(table.stdout).toMatch(/sync:\n {2}unavailable: outbox not open/);
    const s = JSON.parse((await rig.cli(['status', '--json'])).stdout);
    expect(s.sections[0]).toEqual({ title: 'people underground:', body: '  12 in zone 3101', data: { count: 12 } });
  });
});

describe('minegate cut (异地断电)', () => {
  it('cuts the zone under an authority; a release under another authority is refused, the right one releases', async () => {
    const cut = await rig.cli(['cut', ZONE, '--authority', 'dispatch', '--reason', 'dispatch order 17: drainage work', '--expires', '2h', '--json'], 'zhang');
    expect(cut.stderr).toBe('');
    expect(cut.code).toBe(0);
    const placed = JSON.parse(cut.stdout);
    expect(placed).toMatchObject({ zone: ZONE, outputs: ['heading-power'], authority: 'dispatch', durationMs: 7_200_000, confirmed: true });
    expect(rig.devices.relay.get('coil0')).toBe(false);
    expect(activeCuts()).toEqual([placed.id]);

    const status = await rig.cli(['status']);
    expect(status.stdout).toMatch(new RegExp(`remote-cut:${placed.id} +heading-power`));
    expect(status.stdout).toMatch(/heading-power +power +OFF \(cut\) +yes/);

    // The engine enforces the authority; its refusal is shown as it is.
    const wrong = await rig.cli(['cut', 'release', placed.id, '--reason', 'work finished'], 'chief');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`WRONG_AUTHORITY): remote cut "${placed.id}" was ordered by "dispatch"; "local" may not release it`);
    expect(activeCuts()).toEqual([placed.id]);
    expect(rig.devices.relay.get('coil0')).toBe(false);

    // Releasing needs a safety officer.
    const tech = await rig.cli(['cut', 'release', placed.id, '--authority', 'dispatch', '--reason', 'work finished'], 'zhang');
    expect(tech.code).toBe(1);
    expect(tech.stderr).toMatch(/zhang is a technician; this needs a safety-officer/);

    const ok = await rig.cli(['cut', 'release', placed.id, '--authority', 'dispatch', '--reason', 'work finished, area checked'], 'chief');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(`remote cut ${placed.id} released (heading-power)`);
    expect(ok.stdout).toMatch(/relay module confirmed: power permitted again/);
    expect(activeCuts()).toEqual([]);
    expect(rig.devices.relay.get('coil0')).toBe(true);

    // Audit: who, why, before/after, and the refusals too.
    const rows = audit({ order: 'asc' }).filter((r) => r.target === `zone:${ZONE}` || r.target === `remote-cut:${placed.id}` || r.action === 'auth-refused');
    expect(rows.map((r) => [r.operator, r.action, r.outcome])).toEqual([
      ['zhang', 'remote-cut', 'ok'],
      ['chief', 'remote-cut-release', 'refused'],
      ['zhang', 'auth-refused', 'refused'],
      ['chief', 'remote-cut-release', 'ok'],
    ]);
    expect(rows[0]).toMatchObject({ role: 'technician', reason: 'dispatch order 17: drainage work', before: { 'heading-power': { energize: true } }, detail: expect.stringContaining('under authority dispatch') });
    expect(rows[0]!.after).toMatchObject({ remoteCut: { id: placed.id, authority: 'dispatch' }, outputs: { 'heading-power': { energize: false, confirmed: true } } });
    expect(rows[1]!.detail).toMatch(/was ordered by "dispatch"/);
    expect(rows[3]).toMatchObject({ role: 'safety-officer', reason: 'work finished, area checked', after: { remoteCut: null } });
  });

  it('needs --reason and --expires (usage, exit 2), a known zone, and an allowed authority', async () => {
    const noReason = await rig.cli(['cut', ZONE, '--expires', '1h'], 'zhang');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason is required/);
    const badDuration = await rig.cli(['cut', ZONE, '--reason', 'x', '--expires', 'soon'], 'zhang');
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toMatch(/"soon" is not a duration/);
    const zone = await rig.cli(['cut', 'no-such-zone', '--reason', 'x', '--expires', '1h'], 'zhang');
    expect(zone.code).toBe(1);
    expect(zone.stderr).toMatch(/UNKNOWN_TARGET\): no zone "no-such-zone"/);
    const authority = await rig.cli(['cut', ZONE, '--authority', 'canteen', '--reason', 'x', '--expires', '1h'], 'zhang');
    expect(authority.code).toBe(1);
    expect(authority.stderr).toMatch(/authority "canteen" may not order remote cuts \(allowed: local, dispatch\)/);
    const viewer = await rig.cli(['cut', ZONE, '--reason', 'x', '--expires', '1h'], 'wang');
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/wang is a viewer; this needs a technician/);
    expect(activeCuts()).toEqual([]);
  });
});

describe('minegate unlock, ack, events', () => {
  it('unlock is refused when the fan is not locked, with the engine\'s reason, and audited', async () => {
    const r = await rig.cli(['unlock', 'fan-3101', '--reason', 'restart after gas check'], 'chief');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_LOCKED): local fan "fan-3101" is not locked');
    expect(audit({ action: 'manual-unlock' })[0]).toMatchObject({ operator: 'chief', outcome: 'refused', target: 'fan:fan-3101', reason: 'restart after gas check' });
    const unknown = await rig.cli(['unlock', 'fan-9', '--reason', 'x'], 'chief');
    expect(unknown.stderr).toMatch(/no local fan "fan-9" \(local fans: fan-3101\)/);
  });

  it('unlock of a fan lock: refused while the lock condition holds, done by the safety officer once it does not', async () => {
    const { fan, t1 } = rig.devices;
    fan.set('state', 0);
    t1.set('value', 3.5);
    await waitFor(() => rig.gateway.safety.engine.fanLocked('fan-3101'), { what: 'fan lock' });
    const held = await rig.cli(['unlock', 'fan-3101', '--reason', 'need ventilation'], 'chief');
    expect(held.code).toBe(1);
    expect(held.stderr).toContain('LOCK_CONDITION_ACTIVE): local fan "fan-3101" is stopped with CH4 above 3 %: the lock condition still holds');
    // Below the lock limit but above the automatic release (1.5 %): only a hand unlock releases it.
    t1.set('value', 2.0);
    await waitFor(() => rig.gateway.points.current('F001A01').value === 2.0, { what: 'T1 at 2.0 %' });
    const tech = await rig.cli(['unlock', 'fan-3101', '--reason', 'gas checked'], 'zhang');
    expect(tech.code).toBe(1);
    expect(tech.stderr).toMatch(/zhang is a technician; this needs a safety-officer/);
    const ok = await rig.cli(['unlock', 'fan-3101', '--reason', 'CH4 checked by hand at the fan, restart approved'], 'chief');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/fan lock of fan-3101 released/);
    expect(rig.gateway.safety.engine.fanLocked('fan-3101')).toBe(false);
    expect(audit({ action: 'manual-unlock' })[0]).toMatchObject({
      operator: 'chief',
      role: 'safety-officer',
      outcome: 'ok',
      reason: 'CH4 checked by hand at the fan, restart approved',
      before: { locked: true },
      after: { locked: false },
    });
    t1.set('value', 0.2);
    fan.set('state', 1);
    await rig.settled();
  });

  it('ack silences the siren of an active danger alarm; the beacon stays on', async () => {
    rig.devices.t2.set('value', 1.2); // ≥ 1.0 alarm and cut-off of a return-flow T2
    await waitFor(() => rig.devices.relay.get('coil6') === true, { what: 'siren on' });
    const r = await rig.cli(['ack'], 'zhang');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/alarm\(s\) acknowledged:\n {2}\[danger\] over-limit:F001A02/);
    await waitFor(() => rig.devices.relay.get('coil6') === false, { what: 'siren silenced' });
    expect(rig.devices.relay.get('coil7')).toBe(true);
    rig.devices.t2.set('value', 0.2);
    await waitFor(() => rig.gateway.safety.engine.alarms().length === 0, { what: 'alarm cleared' });
  });

  it('events lists what happened, filtered by kind and point, as a table and as JSON', async () => {
    const table = await rig.cli(['events', '--kind', 'remote-cut']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/remote-cut .*heading-power .*zhang .*remote cut "cut-/);
    const json = await rig.cli(['events', '--point', 'F001A02', '--since', '10m', '--json']);
    expect(json.code).toBe(0);
    const events = JSON.parse(json.stdout) as { type: string; point: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.point === 'F001A02')).toBe(true);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['alarm-on', 'cut', 'release']));
    const bad = await rig.cli(['events', '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
  });

  it('events reads the database read-only when no gateway runs', async () => {
    await rig.control.stop();
    try {
      const r = await minegate(['events', '--kind', 'acknowledge', '--json', '-d', rig.dataDir]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/no gateway running on .*; read from its database/);
      expect(JSON.parse(r.stdout)[0]).toMatchObject({ type: 'acknowledge', operator: 'zhang' });
    } finally {
      // Back as it was for any later test.
      const { ControlServer } = await import('../../edge/control/server.js');
      const { createLogger } = await import('../../edge/log.js');
      rig.control = new ControlServer(rig.gateway, { dataDir: rig.dataDir, logger: createLogger({}) });
      await rig.control.start();
    }
  });
});

describe('minegate write on a coil that backs an output (never around the interlock engine)', () => {
  it('write refused on held output: a remote cut holds heading-power, `write relay-1 coil0 on` is refused naming the hold, and the coil is never written', async () => {
    const wireWrites: string[] = [];
    const watch = (c: { channel: string; value: unknown; source?: string }) => {
      if (c.channel === 'coil0' && c.source === 'wire') wireWrites.push(String(c.value));
    };
    const cut = await rig.cli(['cut', ZONE, '--authority', 'dispatch', '--reason', 'drainage work', '--expires', '1h'], 'zhang');
    expect(cut.code).toBe(0);
    await waitFor(() => rig.devices.relay.get('coil0') === false, { what: 'heading power cut' });
    rig.devices.relay.on('change', watch);
    try {
      const r = await rig.cli(['write', 'relay-1', 'coil0', 'on', '-c', rig.configFile, '--reason', 'try it'], 'zhang');
      expect(r.code).toBe(1);
      expect(r.stdout).not.toMatch(/verified/);
      expect(r.stderr).toMatch(/OUTPUT_HELD/);
      expect(r.stderr).toMatch(/heading-power, held cut by remote-cut:/);
      expect(rig.devices.relay.get('coil0')).toBe(false);
      expect(wireWrites).toEqual([]);
      expect(audit({ action: 'write' }).at(-1)).toMatchObject({ operator: 'zhang', target: 'relay-1.coil0', outcome: 'refused' });
    } finally {
      rig.devices.relay.off('change', watch);
    }
  });

  it('a write that matches the engine is a checked no-op; one that would fight the engine is refused with the proper command', async () => {
    const same = await rig.cli(['write', 'relay-1', 'coil0', 'on', '-c', rig.configFile, '--reason', 'check'], 'zhang');
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/relay-1\.coil0 is output heading-power: already on as the interlock engine commands; nothing written/);
    const fight = await rig.cli(['write', 'relay-1', 'coil0', 'off', '-c', rig.configFile, '--reason', 'try it'], 'zhang');
    expect(fight.code).toBe(1);
    expect(fight.stderr).toMatch(/ENGINE_OWNED.*minegate relay test heading-power/);
    expect(rig.devices.relay.get('coil0')).toBe(true);
  });

  it('with no gateway running the coil is not written either, and the stored holds are named', async () => {
    const r = await minegate(['write', 'relay-1', 'coil0', 'on', '-c', rig.configFile, '-d', `${rig.dir}/no-gateway-here`, '--user', 'zhang', '--reason', 'try it'], { password: 'tech-pass-1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/backs output heading-power \(power\); no gateway runs on .*never written around them/);
  });
});
