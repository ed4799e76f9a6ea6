// Receiver throughput: what one reference receiver process (receiver.ts) verifies and records per
// second, and the CPU it needs per 1,000 records/s, so the platform side can be sized. Sealed CDSS
// batches of 50 substations (own keys, five mines) are fed to Receiver.handle() — signature, hash,
// chain, record count, MT/T 1201 parse, dedupe, and the durable SQLite ledger (synchronous=FULL,
// one commit per event-loop turn) — against the same-run baseline of the bare per-batch checks
// (verifyBatch + parseFile, no ledger). The broker's own cost is not in these figures.
// `npm run bench -- receiver [records per substation]` (default 20000).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdssRecord } from '../sync/formats/records/index.js';
import { parseFile } from '../sync/formats/mt1201-file.js';
import { verifyBatch } from '../sync/integrity.js';
import { Outbox, type StoredBatch } from '../sync/outbox.js';
import { Receiver } from '../sync/receiver.js';
import { cdssStream } from '../sync/streams/index.js';
import { openSyncDatabase } from '../sync/sync-database.js';
import { parseTopic } from '../sync/topics.js';
import { batchMessage } from '../sync/uplink.js';
import type { BenchContext } from './harness.js';

const SUBSTATIONS = 50;
const T0 = Date.UTC(2026, 0, 1);

interface Message {
  topic: string;
  payload: Buffer;
  props: Record<string, string>;
  records: number;
}

export default async function receiverBench(ctx: BenchContext): Promise<void> {
  const perSub = Number(ctx.args[0] ?? 20_000);
  if (!Number.isSafeInteger(perSub) || perSub < 1000) throw new TypeError(`receiver: records per substation must be an integer ≥ 1000, got ${String(ctx.args[0])}`);
  // A drained backlog (1,000-record batches) and live traffic (16-record batches, a snapshot of a
  // typical substation per flush): per-batch costs (signature, commit) dominate the second.
  await run(ctx, perSub, 1000, 'backlog');
  await run(ctx, Math.max(1000, Math.round(perSub / 10)), 16, 'live');
}

async function run(ctx: BenchContext, perSub: number, batchMaxRecords: number, label: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-receiver-'));
  try {
    const keys: Record<string, KeyObject> = {};
    const messages: Message[] = [];
    for (let i = 0; i < SUBSTATIONS; i++) {
      const mineCode = `15062200000${1 + (i % 5)}`;
      const code = `FZ${String(i).padStart(2, '0')}`;
      const pair = generateKeyPairSync('ed25519');
      keys[`${mineCode}/${code}`] = pair.publicKey;
      const db = openSyncDatabase(join(dir, `${code}.db`));
      const outbox = new Outbox({ db, mineCode, mineName: 'bench mine', substation: code, signingKey: pair.privateKey, autoFlush: false, maxBytes: 1024 * 1024 * 1024, batchMaxRecords });
      for (let r = 0; r < perSub; r++) {
        outbox.append(cdssStream, cdssRecord(r));
        if (r % 10_000 === 9_999) while (outbox.stats().queued > 0) outbox.flush();
      }
      while (outbox.stats().queued > 0) outbox.flush();
      let after = 0;
      for (let b: StoredBatch | undefined = outbox.claimNext('realtime', after); b; b = outbox.claimNext('realtime', after)) {
        after = b.id;
        const m = batchMessage(mineCode, code, b);
        messages.push({ topic: m.topic, payload: m.payload, props: { ...m.properties }, records: b.records });
      }
      outbox.close();
      db.close();
    }
    // Interleave the substations, as a broker delivers them.
    messages.sort((a, b) => Number(a.props.firstSeq) - Number(b.props.firstSeq));
    const total = messages.reduce((n, m) => n + m.records, 0);

    // Baseline: the bare checks every verifying receiver does per batch.
    const b0 = process.hrtime.bigint();
    for (const m of messages) {
      const where = parseTopic(m.topic)!;
      const p = m.props;
      const id = { mineCode: where.mineCode, substation: where.substation, stream: p.stream!, type: where.suffix, firstSeq: Number(p.firstSeq), lastSeq: Number(p.lastSeq), name: p.name! };
      if (!verifyBatch(id, m.payload, { prevHash: p.prevHash!, hash: p.hash!, signature: p.signature! }, keys[`${where.mineCode}/${where.substation}`]!).ok) throw new Error('baseline: batch does not verify');
      parseFile(p.name!, m.payload);
    }
    const baseSeconds = Number(process.hrtime.bigint() - b0) / 1e9;

    const receiver = new Receiver({ brokerUrl: 'mqtt://127.0.0.1:1', publicKey: keys, stateFile: join(dir, 'ledger.db'), receiptKey: generateKeyPairSync('ed25519').privateKey });
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      receiver.handle(m.topic, m.payload, m.props);
      // One broker read delivers a handful of messages; the ledger commits once per turn.
      if (i % 32 === 31) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const s = receiver.stats();
    await receiver.stop();
    if (s.records !== total || s.failures !== 0) throw new Error(`receiver took ${s.records} of ${total} records, ${s.failures} failures`);

    const perSecond = total / seconds;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const what = `${label}: ${SUBSTATIONS} substations, ${total} CDSS records in ${messages.length} batches of ≤ ${batchMaxRecords}`;
    ctx.report({ figure: `receiver records/s, ${what}, verified + durable ledger (baseline: bare verify + parse)`, value: Math.round(perSecond), unit: 'records/s', baseline: Math.round(total / baseSeconds) });
    ctx.report({ figure: `receiver CPU per 1,000 records/s, ${what} (cores busy to sustain 1,000 records/s)`, value: Number(((cpuSeconds / total) * 1000).toFixed(5)), unit: 'cores', baseline: null, ratio: null });
    ctx.report({ figure: `receiver batches/s, ${what}`, value: Math.round(messages.length / seconds), unit: 'batches/s', baseline: Math.round(messages.length / baseSeconds) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cdssRecord(i: number): CdssRecord {
  return { pointCode: `CH4-${String(i % 16).padStart(2, '0')}`, sensorTypeName: '环境瓦斯', location: '3101回风巷', value: 0.3 + (i % 50) / 100, unit: '%CH4', status: 0, dataTime: T0 + Math.floor(i / 16) * 10_000 };
}
