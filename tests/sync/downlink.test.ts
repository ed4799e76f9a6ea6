// Platform commands: only signed, fresh, well-formed, never-seen commands run; the rest are
// security events that go upstream. Replay protection survives a restart.
import { generateKeyPairSync, randomBytes, sign as edSign } from 'node:crypto';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Downlink, signCommand, type Command } from '../../sync/downlink.js';
import type { Outbox } from '../../sync/outbox.js';
import type { Receiver } from '../../sync/receiver.js';
import { LANES } from '../../sync/stream.js';
import { parseJsonlBatch } from '../../sync/streams/jsonl.js';
import { commandTopic } from '../../sync/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { MINE, SUBSTATION, makeOutbox, openOutboxDb, tempDir } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { keys, startGateway, startReceiver, streamKey, type Gateway } from './helpers/pipeline.js';

const platform = generateKeyPairSync('ed25519');
const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);

function command(over: Partial<Command> = {}): Command {
  return {
    id: `cmd-${randomBytes(4).toString('hex')}`,
    kind: 'cutoff',
    args: { zones: ['heading-3101'] },
    issuedAt: NOW - 1000,
    expiresAt: NOW + 60_000,
    nonce: randomBytes(16).toString('hex'),
    ...over,
  };
}

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let outbox: Outbox;
let now = NOW;

function downlink(): Downlink {
  return new Downlink({ db, outbox, platformKey: platform.publicKey, mineCode: MINE, substation: SUBSTATION, now: () => now });
}

/** Records of one JSON Lines stream written to the outbox so far. */
function upstream(stream: string): Record<string, unknown>[] {
  outbox.flush();
  const out: Record<string, unknown>[] = [];
  for (const lane of LANES) {
    let after = 0;
    for (let b = outbox.claimNext(lane, after); b; b = outbox.claimNext(lane, after)) {
      after = b.id;
      if (b.stream === stream) out.push(...parseJsonlBatch(b.payload).records);
    }
  }
  outbox.releaseAll();
  return out;
}

beforeEach(() => {
  tmp = tempDir();
  db = openOutboxDb(join(tmp.dir, 'outbox.db'));
  outbox = makeOutbox(db, keys.privateKey);
  now = NOW;
});
afterEach(() => {
  outbox.close();
  if (db.open) db.close();
  tmp.cleanup();
});

describe('downlink command checks', () => {
  it('runs a signed, fresh command and reports accepted then completed upstream', async () => {
    const dl = downlink();
    const seen: Command[] = [];
    dl.onCommand('cutoff', (c) => {
      seen.push(c);
      return { zonesCut: 1 };
    });
    const cmd = command();
    const { payload, signature } = signCommand(cmd, platform.privateKey);
    expect(await dl.receive(payload, signature)).toEqual({ status: 'completed', result: { zonesCut: 1 } });
    expect(seen).toEqual([cmd]);
    expect(upstream('cmdack').map((a) => [a.commandId, a.status])).toEqual([
      [cmd.id, 'accepted'],
      [cmd.id, 'completed'],
    ]);
    expect(upstream('security')).toEqual([]);
  });

  it.each([
    ['unsigned', () => ({ ...signCommand(command(), platform.privateKey), signature: undefined })],
    ['bad-signature', () => signCommand(command(), generateKeyPairSync('ed25519').privateKey)],
    [
      'bad-signature',
      () => {
        const s = signCommand(command(), platform.privateKey);
        return { payload: Buffer.from(s.payload.toString().replace('heading-3101', 'heading-3102')), signature: s.signature };
      },
    ],
    ['expired', () => signCommand(command({ issuedAt: NOW - 120_000, expiresAt: NOW - 60_000 }), platform.privateKey)],
    ['not-yet-valid', () => signCommand(command({ issuedAt: NOW + 3_600_000, expiresAt: NOW + 3_660_000 }), platform.privateKey)],
    ['lifetime-too-long', () => signCommand(command({ expiresAt: NOW + 30 * 86_400_000 }), platform.privateKey)],
    ['unknown-kind', () => signCommand(command({ kind: 'open-all-doors' as Command['kind'] }), platform.privateKey)],
    ['malformed', () => ({ payload: Buffer.from('{"id":'), signature: signCommand(command(), platform.privateKey).signature })],
  ] as const)('rejects %s commands, never calls the handler, and reports a security event upstream', async (reason, make) => {
    const dl = downlink();
    let called = 0;
    dl.onCommand('cutoff', () => called++);
    const m = make();
    // A malformed payload still needs a valid signature over its own bytes to get past the signature check.
    const signature = reason === 'malformed' ? sigOver(m.payload) : m.signature;
    const outcome = await dl.receive(m.payload, signature ?? undefined);
    expect(outcome).toMatchObject({ status: 'rejected', reason });
    expect(called).toBe(0);
    expect(upstream('security')).toEqual([expect.objectContaining({ reason })]);
    expect(upstream('cmdack')).toEqual([expect.objectContaining({ status: 'rejected', reason })]);
    expect(dl.stats().rejected[reason]).toBe(1);
  });

  it('states the times of an expired command in mine time with its zone', async () => {
    const dl = downlink();
    const m = signCommand(command({ issuedAt: NOW - 120_000, expiresAt: NOW - 60_000 }), platform.privateKey);
    expect(await dl.receive(m.payload, m.signature)).toMatchObject({ status: 'rejected', reason: 'expired' });
    // NOW is 2026-01-01 00:00 UTC: 08:00 at the mine.
    expect(upstream('security')).toEqual([expect.objectContaining({ detail: 'expired at 2026-01-01 07:59:00+08:00, now 2026-01-01 08:00:00+08:00' })]);
  });

  it('rejects malformed but validly signed commands field by field', async () => {
    const dl = downlink();
    dl.onCommand('cutoff', () => 'ran');
    const base = command();
    const variants: unknown[] = [
      { ...base, id: '' },
      { ...base, args: 'zones' },
      { ...base, issuedAt: 'yesterday' },
      { ...base, expiresAt: base.issuedAt },
      { ...base, nonce: 'short' },
      { ...base, extra: true },
      [base],
    ];
    for (const v of variants) {
      const payload = Buffer.from(JSON.stringify(v));
      expect(await dl.receive(payload, sigOver(payload))).toMatchObject({ status: 'rejected', reason: 'malformed' });
    }
  });

  it('refuses a replayed nonce, also after a restart', async () => {
    let dl = downlink();
    let runs = 0;
    dl.onCommand('evacuate', () => runs++);
    const signed = signCommand(command({ kind: 'evacuate' }), platform.privateKey);
    expect(await dl.receive(signed.payload, signed.signature)).toMatchObject({ status: 'completed' });
    expect(await dl.receive(signed.payload, signed.signature)).toMatchObject({ status: 'rejected', reason: 'replayed' });

    outbox.close();
    db.close();
    db = openOutboxDb(join(tmp.dir, 'outbox.db'));
    outbox = makeOutbox(db, keys.privateKey);
    dl = downlink();
    dl.onCommand('evacuate', () => runs++);
    expect(await dl.receive(signed.payload, signed.signature)).toMatchObject({ status: 'rejected', reason: 'replayed' });
    expect(runs).toBe(1);
  });

  it('reports a handler failure as failed, and a kind without handler as rejected', async () => {
    const dl = downlink();
    dl.onCommand('cutoff', () => {
      throw new Error('relay module not answering');
    });
    const bad = signCommand(command(), platform.privateKey);
    expect(await dl.receive(bad.payload, bad.signature)).toEqual({ status: 'failed', error: 'relay module not answering' });
    const noHandler = signCommand(command({ kind: 'weather-warning' }), platform.privateKey);
    expect(await dl.receive(noHandler.payload, noHandler.signature)).toMatchObject({ status: 'rejected', reason: 'no-handler' });
    expect(upstream('cmdack').map((a) => a.status)).toEqual(['accepted', 'failed', 'rejected']);
  });

  it('accepts a time-sync command although the local clock is two days behind, but not a cut-off', async () => {
    now = NOW - 2 * 86_400_000;
    const dl = downlink();
    dl.onCommand('time-sync', (c) => c.args['time']);
    dl.onCommand('cutoff', () => 'cut');
    const sync = signCommand(command({ kind: 'time-sync', args: { time: NOW } }), platform.privateKey);
    expect(await dl.receive(sync.payload, sync.signature)).toEqual({ status: 'completed', result: NOW });
    const cut = signCommand(command(), platform.privateKey);
    expect(await dl.receive(cut.payload, cut.signature)).toMatchObject({ status: 'rejected', reason: 'not-yet-valid' });
  });

  it('validates its options', () => {
    expect(() => new Downlink({ db, outbox, platformKey: platform.privateKey, mineCode: MINE, substation: SUBSTATION })).toThrow(TypeError);
    expect(() => new Downlink({ db, outbox, platformKey: platform.publicKey, mineCode: '123', substation: SUBSTATION })).toThrow(/mineCode/);
    expect(() => downlink().onCommand('reboot' as never, () => 0)).toThrow(/unknown kind/);
  });
});

/** A platform signature over arbitrary bytes (to craft malformed but signed payloads). */
function sigOver(payload: Buffer): string {
  return edSign(null, payload, platform.privateKey).toString('base64');
}

describe('downlink over MQTT (real Mosquitto)', () => {
  let broker: Mosquitto;
  let gateway: Gateway | undefined;
  let receiver: Receiver | undefined;
  let platformClient: mqtt.MqttClient | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    platformClient?.end(true);
    await gateway?.stop();
    await receiver?.stop();
    gateway = receiver = platformClient = undefined;
  });

  it('runs a signed cut-off sent by the platform and the result reaches the platform; an unsigned one arrives as a security event', async () => {
    const gwDir = join(tmp.dir, 'gw');
    receiver = await startReceiver(broker.url);
    gateway = startGateway(gwDir, broker.url);
    const dl = new Downlink({ db: gateway.db, outbox: gateway.outbox, platformKey: platform.publicKey, mineCode: MINE, substation: SUBSTATION });
    const ran: string[] = [];
    dl.onCommand('cutoff', (c) => {
      ran.push(c.id);
      return { zones: c.args['zones'] };
    });
    dl.attach(gateway.uplink);
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'gateway connected' });

    platformClient = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `platform-${process.pid}` });
    const cmd = command({ issuedAt: Date.now() - 1000, expiresAt: Date.now() + 60_000 });
    const signed = signCommand(cmd, platform.privateKey);
    const topic = commandTopic(MINE, SUBSTATION);
    await platformClient.publishAsync(topic, signed.payload, { qos: 1, properties: { userProperties: { signature: signed.signature } } });
    await platformClient.publishAsync(topic, signed.payload, { qos: 1 }); // same bytes, no signature

    const acks: Record<string, unknown>[] = [];
    const security: Record<string, unknown>[] = [];
    receiver.on('batch', (b) => {
      if (b.streamName === 'cmdack') acks.push(...(b.records as Record<string, unknown>[]));
      if (b.streamName === 'security') security.push(...(b.records as Record<string, unknown>[]));
    });
    await waitFor(() => acks.some((a) => a.status === 'completed') && security.length === 1, { what: 'command result and security event upstream' });
    expect(ran).toEqual([cmd.id]);
    expect(acks.find((a) => a.status === 'completed')).toMatchObject({ commandId: cmd.id, result: { zones: ['heading-3101'] } });
    expect(security[0]).toMatchObject({ reason: 'unsigned', commandId: cmd.id, topic });
    expect(receiver.received(streamKey('security'))).toEqual([[1, 1]]);
    expect(receiver.stats().failures).toBe(0);
  });
});
