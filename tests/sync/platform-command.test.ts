// `minegate platform command` against a real gateway through a real Mosquitto: signs with the
// platform key, waits for the substation's ack; a command signed with another key is rejected and
// shows in `minegate events` with the reason (from the running gateway and from its files).
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlServer } from '../../edge/control/server.js';
import { createLogger } from '../../edge/log.js';
import { runCli } from '../cli/run-cli.js';
import { HEADING_COIL, RIG_MINE, RIG_SUBSTATION, SyncRig } from './helpers/gateway-rig.js';

let rig: SyncRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

interface Outcome {
  command: { id: string };
  acks: { status: string; reason: string | null }[];
  final: { status: string; reason: string | null; result: { cutId?: string } | null } | null;
}

describe('minegate platform command', () => {
  it('cut and release are signed, sent and acknowledged (relay opens and closes); a forged cut is rejected and listed by minegate events with its reason', { timeout: 90_000 }, async () => {
    rig = await SyncRig.start();
    await rig.waitRunning();
    await rig.waitBatch('cdss', () => true, 'the gateway online (subscribed to its command topic)');
    const r = rig;
    const base = (key: string): string[] => [
      'platform', 'command', '--broker', r.broker.url, '--key', key, '--mine', RIG_MINE, '--substation', RIG_SUBSTATION,
      '--substation-key', join(r.dataDir, 'keys', 'substation.pub.pem'), '--timeout', '20', '--json',
    ];

    const cut = await runCli([...base(rig.platformKeyFile), 'cut', '--zones', 'heading', '--reason', 'drill', '--operator', 'dispatch-1'], { timeoutMs: 40_000 });
    expect(cut.stderr).toBe('');
    expect(cut.code).toBe(0);
    const c = JSON.parse(cut.stdout) as Outcome;
    expect(c.acks.map((a) => a.status)).toEqual(['accepted', 'completed']);
    await rig.waitCoil(HEADING_COIL, false);

    const release = await runCli([...base(rig.platformKeyFile), 'release', '--cut-id', c.final!.result!.cutId!], { timeoutMs: 40_000 });
    expect(release.code).toBe(0);
    expect((JSON.parse(release.stdout) as Outcome).final!.status).toBe('completed');
    await rig.waitCoil(HEADING_COIL, true);

    const forgedKey = join(rig.dataDir, 'forged.key.pem');
    writeFileSync(forgedKey, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const forged = await runCli([...base(forgedKey), 'cut', '--zones', 'heading'], { timeoutMs: 40_000 });
    expect(forged.code).toBe(1);
    const f = JSON.parse(forged.stdout) as Outcome;
    expect(f.final).toMatchObject({ status: 'rejected', reason: 'bad-signature' });
    expect(rig.coil(HEADING_COIL)).toBe(true);

    // From the files (no control socket running) …
    const offline = await runCli(['events', '-d', rig.dataDir, '--kind', 'remote-refused', '--json']);
    expect(offline.code).toBe(0);
    const events = JSON.parse(offline.stdout) as { type: string; reason: string; message: string; operator: string }[];
    expect(events).toEqual([expect.objectContaining({ type: 'remote-refused', reason: 'bad-signature', operator: 'platform', message: expect.stringContaining(f.command.id) })]);
    // … and from the running gateway.
    const control = new ControlServer(rig.gateway, { dataDir: rig.dataDir, logger: createLogger({}) });
    await control.start();
    try {
      const online = await runCli(['events', '-d', rig.dataDir, '--json']);
      expect(online.code).toBe(0);
      const all = JSON.parse(online.stdout) as { type: string; reason?: string }[];
      expect(all.filter((e) => e.type === 'remote-refused')).toEqual([expect.objectContaining({ reason: 'bad-signature' })]);
      expect(all.some((e) => e.type === 'remote-cut')).toBe(true);
    } finally {
      await control.stop();
    }
  });
});
