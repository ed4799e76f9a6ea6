// The outbox on a real SQLite file: sequencing, sealing, caps, full-disk policy, acks and history.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, verifyBatch } from '../../sync/integrity.js';
import type { Outbox } from '../../sync/outbox.js';
import { parseJsonlBatch } from '../../sync/streams/jsonl.js';
import { openSyncDatabase } from '../../sync/sync-database.js';
import { queryHistory } from '../../sync/history.js';
import type { GapMarker } from '../../sync/streams/gap.js';
import { MINE, MINE_NAME, SUBSTATION, alarmStream, batchRows, flushAll, makeOutbox, openOutboxDb, readingStream, tempDir, testKeys } from './helpers/fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const keys = testKeys();

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let outbox: Outbox | undefined;

beforeEach(() => {
  tmp = tempDir();
  db = openOutboxDb(join(tmp.dir, 'outbox.db'));
});
afterEach(() => {
  outbox?.close();
  outbox = undefined;
  if (db.open) db.close();
  tmp.cleanup();
});

/** Drains everything stored, oldest first per lane order, acking each batch. */
function drainAll(box: Outbox): { stream: string; firstSeq: number; lastSeq: number; records: Record<string, unknown>[] }[] {
  const out = [];
  for (const lane of ['event', 'realtime', 'backlog'] as const) {
    let after = 0;
    for (;;) {
      const b = box.claimNext(lane, after);
      if (!b) break;
      after = b.id;
      out.push({ stream: b.stream, firstSeq: b.firstSeq, lastSeq: b.lastSeq, records: parseJsonlBatch(b.payload).records });
      expect(box.ack(b.id)).toBe(true);
    }
  }
  return out;
}

describe('outbox sequencing and sealing', () => {
  it('numbers records per stream without gaps, seals each batch to the previous one, and writes nothing before a flush', () => {
    outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 10 });
    for (let i = 0; i < 25; i++) outbox.append(readingStream, { point: 'CH4-01', value: i, at: T0 + i * 1000 });
    outbox.append(alarmStream, { point: 'CH4-01', kind: 'over-limit', at: T0 + 5000 });
    expect(batchRows(db)).toHaveLength(0); // append never touches the disk

    const result = outbox.flush();
    expect(result).toMatchObject({ ok: true, records: 26 });
    const rows = batchRows(db);
    const readings = rows.filter((r) => r.stream === 'test-rt');
    expect(readings.map((r) => [r.first_seq, r.last_seq])).toEqual([
      [1, 10],
      [11, 20],
      [21, 25],
    ]);
    expect(rows.filter((r) => r.stream === 'test-ev').map((r) => [r.first_seq, r.last_seq])).toEqual([[1, 1]]);

    // Each batch verifies against the substation key and links to the previous batch of its stream.
    let prev = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const b = outbox.claimNext('realtime', after);
      if (!b) break;
      after = b.id;
      expect(b.prevHash).toBe(prev);
      const id = { mineCode: MINE, substation: SUBSTATION, stream: b.stream, type: b.type, firstSeq: b.firstSeq, lastSeq: b.lastSeq, name: b.name };
      expect(verifyBatch(id, b.payload, b, keys.publicKey)).toEqual({ ok: true });
      prev = b.hash;
    }
    expect(outbox.streamState('test-rt')).toEqual({ nextSeq: 26, lastHash: prev });
  });

  it('continues sequence numbers, hash chain and row ids after a restart, and re-sends only what was not acked', () => {
    outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 5 });
    for (let i = 0; i < 10; i++) outbox.append(readingStream, { point: 'P', value: i, at: T0 + i });
    outbox.flush();
    const first = outbox.claimNext('realtime', 0)!;
    outbox.ack(first.id);
    const head = outbox.streamState('test-rt');
    outbox.close();

    outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 5 });
    expect(outbox.stats()).toMatchObject({ storedBatches: 1, storedRecords: 5 });
    // The unacked batch is byte-identical after the restart.
    const again = outbox.claimNext('realtime', 0)!;
    expect(again.firstSeq).toBe(6);
    outbox.releaseAll();
    for (let i = 10; i < 15; i++) outbox.append(readingStream, { point: 'P', value: i, at: T0 + i });
    outbox.flush();
    const rows = batchRows(db);
    expect(rows.map((r) => [r.first_seq, r.last_seq])).toEqual([
      [6, 10],
      [11, 15],
    ]);
    expect(rows[1]!.id).toBeGreaterThan(again.id);
    const newest = outbox.claimNext('realtime', again.id)!;
    expect(newest.prevHash).toBe(head.lastHash);
  });

  it('rejects a record its stream cannot encode, counts it, and still sends the others', () => {
    outbox = makeOutbox(db, keys.privateKey);
    outbox.append(readingStream, { point: 'A', value: 1, at: T0 });
    outbox.append(readingStream, { point: 'B', value: 2, at: Number.NaN }); // no acquisition time
    outbox.append(readingStream, { point: 'C', value: 3, at: T0 + 1 });
    expect(outbox.flush()).toMatchObject({ ok: true, records: 2, rejected: 1 });
    expect(outbox.stats().rejected).toBe(1);
    expect(drainAll(outbox)[0]!.records.map((r) => r.point)).toEqual(['A', 'C']);
  });

  it('writes a JSON Lines batch byte for byte as its stream encodes the lines (CJK, emoji, escapes), split at batchMaxBytes where the UTF-8 size says', () => {
    outbox = makeOutbox(db, keys.privateKey, { batchMaxBytes: 700, maxBytes: 1 << 20 });
    const points = ['CH4-01', '3101回风巷瓦斯', 'CO-😀-02', 'quote"back\\slash', 'tab\tnl\ncr\r', 'lone\ud800surrogate'];
    const sent = Array.from({ length: 60 }, (_, i) => ({ point: `${points[i % points.length]}-${'甲'.repeat(i % 7)}`, value: i / 3, at: T0 + i * 1000 }));
    for (const r of sent) outbox.append(readingStream, r);
    flushAll(outbox);
    const lines = sent.map((r) => readingStream.toLine(r));
    // The split the byte sizes give: as many whole lines as fit in 700 bytes (line + its newline).
    const expected: [number, number][] = [];
    for (let i = 0; i < lines.length; ) {
      let end = i;
      let bytes = 0;
      while (end < lines.length && (end === i || bytes + Buffer.byteLength(lines[end]!) + 1 <= 700)) bytes += Buffer.byteLength(lines[end++]!) + 1;
      expected.push([i + 1, end]);
      i = end;
    }
    const stored: [number, number][] = [];
    for (let b = outbox.claimNext('realtime', 0); b; b = outbox.claimNext('realtime', b.id)) {
      stored.push([b.firstSeq, b.lastSeq]);
      const header = { mineCode: MINE, mineName: MINE_NAME, uploadTime: b.sealedAt, encoding: 'utf-8' as const };
      const file = readingStream.encodeBatch(lines.slice(b.firstSeq - 1, b.lastSeq), header);
      expect(b.name).toBe(file.name);
      expect(b.payload.equals(file.bytes)).toBe(true);
      expect(parseJsonlBatch(b.payload).records).toEqual(sent.slice(b.firstSeq - 1, b.lastSeq).map((r) => JSON.parse(JSON.stringify(r))));
    }
    expect(expected.length).toBeGreaterThan(3);
    expect(stored).toEqual(expected);
  });
});

describe('outbox caps', () => {
  it('keeps stored payload bytes under the cap by dropping the oldest routine batches, with an exact gap marker, and never drops critical ones', () => {
    const maxBytes = 64 * 1024;
    outbox = makeOutbox(db, keys.privateKey, { maxBytes, batchMaxRecords: 50, batchMaxBytes: 8 * 1024 });
    const gaps: GapMarker[] = [];
    outbox.on('gap', (m) => gaps.push(m));
    let maxSeen = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) outbox.append(readingStream, { point: 'CH4-01', value: round * 100 + i, at: T0 + (round * 100 + i) * 1000 });
      outbox.append(alarmStream, { point: 'CH4-01', kind: `alarm-${round}`, at: T0 + round * 100_000 });
      expect(outbox.flush().ok).toBe(true);
      maxSeen = Math.max(maxSeen, outbox.stats().storedBytes);
    }
    expect(maxSeen).toBeLessThanOrEqual(maxBytes);
    const stats = outbox.stats();
    expect(stats.dropped['over-cap']).toBeGreaterThan(0);
    expect(stats.overCap).toBe(false);

    // Markers cover exactly the dropped ranges: kept + dropped = 1..4000 with no overlap.
    const drained = drainAll(outbox);
    const kept = drained.filter((b) => b.stream === 'test-rt').map((b) => [b.firstSeq, b.lastSeq] as const);
    const dropped = gaps.map((g) => [g.firstSeq!, g.lastSeq!] as const);
    const all = [...kept, ...dropped].sort((a, b) => a[0] - b[0]);
    expect(all[0]![0]).toBe(1);
    for (let i = 1; i < all.length; i++) expect(all[i]![0]).toBe(all[i - 1]![1] + 1);
    expect(all.at(-1)![1]).toBe(4000);
    expect(dropped[0]![0]).toBe(1); // oldest first
    // Every alarm survived, and the markers themselves went upstream.
    const alarms = drained.filter((b) => b.stream === 'test-ev').flatMap((b) => b.records.map((r) => r.kind));
    expect(alarms).toEqual(Array.from({ length: 40 }, (_, i) => `alarm-${i}`));
    const markersUpstream = drained.filter((b) => b.stream === 'gap').flatMap((b) => b.records);
    expect(markersUpstream.length).toBe(gaps.length);
  });

  it('keeps critical records beyond the cap (flagged overCap) rather than dropping them', () => {
    outbox = makeOutbox(db, keys.privateKey, { maxBytes: 8 * 1024, batchMaxBytes: 2 * 1024 });
    for (let i = 0; i < 300; i++) outbox.append(alarmStream, { point: 'CH4-01', kind: `alarm-${i}`, at: T0 + i });
    expect(outbox.flush().ok).toBe(true);
    const stats = outbox.stats();
    expect(stats.storedRecords).toBe(300);
    expect(stats.storedBytes).toBeGreaterThan(8 * 1024);
    expect(stats.overCap).toBe(true);
    drainAll(outbox);
    expect(outbox.stats().overCap).toBe(false);
  });

  it('drops routine batches older than maxAgeMs, oldest first per stream, but keeps old critical ones', () => {
    let now = T0;
    outbox = makeOutbox(db, keys.privateKey, { maxAgeMs: 3600_000, batchMaxRecords: 10, now: () => now });
    for (let i = 0; i < 60; i++) outbox.append(readingStream, { point: 'P', value: i, at: T0 + i * 60_000 }); // one hour of minutes
    outbox.append(alarmStream, { point: 'P', kind: 'old alarm', at: T0 });
    outbox.flush();
    now = T0 + 3600_000 + 30 * 60_000; // the first 30 minutes are now older than an hour
    const gaps: GapMarker[] = [];
    outbox.on('gap', (m) => gaps.push(m));
    outbox.housekeeping();
    expect(gaps).toEqual([expect.objectContaining({ stream: 'test-rt', reason: 'too-old', firstSeq: 1, lastSeq: 30, records: 30 })]);
    const drained = drainAll(outbox);
    expect(drained.filter((b) => b.stream === 'test-rt').map((b) => b.firstSeq)).toEqual([31, 41, 51]);
    expect(drained.some((b) => b.stream === 'test-ev')).toBe(true);
    // The delivered alarm stays in local history for its retention (400 days), then goes.
    now = T0 + 399 * 86_400_000;
    outbox.housekeeping();
    expect(queryHistory(db, { stream: 'test-ev' })).toHaveLength(1);
    now = T0 + 401 * 86_400_000;
    outbox.housekeeping();
    expect(queryHistory(db, { stream: 'test-ev' })).toHaveLength(0);
  });
});

describe('outbox on a full disk (PRAGMA max_page_count)', () => {
  it('never throws into append, sacrifices routine data oldest-first, holds critical records until the disk has room, then delivers them', () => {
    outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 100, diskRetryMs: 0, queueCapacity: 5000 });
    const payload = 'x'.repeat(200);
    // Fill with routine data, then freeze the file at its current size.
    for (let i = 0; i < 3000; i++) outbox.append(readingStream, { point: payload, value: i, at: T0 + i });
    flushAll(outbox);
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);

    // Much more than fits: routine floods plus a few alarms; append must never throw.
    const gaps: GapMarker[] = [];
    outbox.on('gap', (m) => gaps.push(m));
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 1000; i++) outbox.append(readingStream, { point: payload, value: 3000 + round * 1000 + i, at: T0 + 3000 + round * 1000 + i });
      outbox.append(alarmStream, { point: 'CH4-01', kind: `alarm-${round}`, at: T0 + round });
      outbox.flush();
    }
    const stats = outbox.stats();
    // Old routine batches were deleted to make room, so alarms reached the disk while it was still full.
    expect(stats.dropped['disk-full']).toBeGreaterThan(0);
    expect(stats.queuedCritical).toBe(0);
    expect(stats.queued).toBeLessThanOrEqual(5000 + 30); // the in-memory stage stays bounded
    expect(stats.lostCritical).toBe(0);
    expect(db.pragma('page_count', { simple: true })).toBeLessThanOrEqual(pages);

    // Room again: everything critical is written and delivered, and new data flows.
    db.pragma('max_page_count = 1073741823');
    const alarmsSeen: string[] = [];
    let guard = 0;
    while (outbox.stats().queued > 0 && guard++ < 100) {
      const drained = drainAll(outbox);
      alarmsSeen.push(...drained.filter((b) => b.stream === 'test-ev').flatMap((b) => b.records.map((r) => String(r.kind))));
      outbox.flush();
    }
    alarmsSeen.push(...drainAll(outbox).filter((b) => b.stream === 'test-ev').flatMap((b) => b.records.map((r) => String(r.kind))));
    expect(alarmsSeen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `alarm-${i}`).sort());
    expect(outbox.stats().diskBlocked).toBe(false);
    outbox.append(readingStream, { point: 'after', value: 1, at: T0 + 10_000_000 });
    expect(outbox.flush()).toMatchObject({ ok: true, records: 1 });
  });
});

describe('outbox acks, history and space', () => {
  it('deletes a batch only when acked, keeps acked critical batches in history, and reuses freed pages instead of growing', () => {
    outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 100 });
    const fill = (n: number, base: number): void => {
      for (let i = 0; i < n; i++) outbox!.append(readingStream, { point: 'x'.repeat(100), value: base + i, at: T0 + base + i });
      outbox!.append(alarmStream, { point: 'CH4', kind: `cycle-${base}`, at: T0 + base });
      flushAll(outbox!);
    };
    fill(5000, 0);
    const b = outbox.claimNext('realtime', 0)!;
    expect(batchRows(db).some((r) => r.id === b.id)).toBe(true); // claimed is not deleted
    outbox.releaseAll();
    drainAll(outbox);
    const pagesAfterFirst = db.pragma('page_count', { simple: true }) as number;
    for (let cycle = 1; cycle <= 5; cycle++) {
      fill(5000, cycle * 10_000);
      drainAll(outbox);
    }
    expect(outbox.stats()).toMatchObject({ storedBatches: 0, storedBytes: 0, storedRecords: 0 });
    // Six fill/drain cycles fit in the pages of the first one (plus a little index slack).
    expect(db.pragma('page_count', { simple: true }) as number).toBeLessThanOrEqual(pagesAfterFirst * 1.1);
    const kept = queryHistory(db, { stream: 'test-ev' });
    expect(kept).toHaveLength(6); // alarms kept locally after delivery (AQ 6201: ≥ 1 year)
    expect(kept.map((h) => h.firstSeq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseJsonlBatch(kept[0]!.payload).records[0]).toMatchObject({ kind: 'cycle-0' });
    expect(kept[0]!.keepUntil - kept[0]!.lastTime).toBe(400 * 86_400_000);
    expect(queryHistory(db, { stream: 'test-ev', fromMs: T0 + 10_000 })).toHaveLength(5);
    expect(queryHistory(db, { stream: 'test-rt' })).toHaveLength(0); // real-time history lives in the readings table, not here
    expect(outbox.ack(b.id)).toBe(false); // already acked: no double delete
  });

  it('gives the space of a drained backlog back to the filesystem when the file was made by openSyncDatabase', () => {
    db.close();
    const file = join(tmp.dir, 'own.db');
    db = openSyncDatabase(file);
    let now = T0;
    outbox = makeOutbox(db, keys.privateKey, { now: () => now });
    for (let i = 0; i < 40_000; i++) outbox.append(readingStream, { point: 'x'.repeat(150), value: i, at: T0 + i });
    flushAll(outbox);
    const full = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    expect(full).toBeGreaterThan(6 * 1024 * 1024);
    drainAll(outbox);
    // Bounded steps (OUTBOX_DEFAULTS.reclaimPagesPerStep, 512 KiB): small enough never to stall the
    // event loop for long, so a ~7 MiB backlog takes a few dozen of them (one a second when running).
    for (let i = 0; i < 40; i++) {
      now += 1_000;
      outbox.housekeeping();
    }
    const after = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    expect(after).toBeLessThan(1024 * 1024);
  });

  it('overflows the in-memory stage while the disk refuses writes: routine oldest first with a marker, and append stays cheap', () => {
    outbox = makeOutbox(db, keys.privateKey, { queueCapacity: 1000, diskRetryMs: 0 });
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) outbox.append(readingStream, { point: 'P', value: i, at: T0 + i });
    const perAppendNs = Number(process.hrtime.bigint() - started) / 100_000;
    expect(perAppendNs).toBeLessThan(5_000); // O(1): far below a disk write
    expect(outbox.stats()).toMatchObject({ queued: 1000, dropped: expect.objectContaining({ 'queue-overflow': 99_000 }) });
    db.pragma('max_page_count = 1073741823');
    outbox.flush();
    const drained = drainAll(outbox);
    const marker = drained.filter((b) => b.stream === 'gap').flatMap((b) => b.records)[0];
    expect(marker).toMatchObject({ stream: 'test-rt', reason: 'queue-overflow', records: 99_000, fromTime: T0, toTime: T0 + 98_999 });
    // The survivors are the newest 1000 records, numbered from 1 with no holes.
    const kept = drained.filter((b) => b.stream === 'test-rt');
    expect(kept[0]!.records[0]!.value).toBe(99_000);
    expect(kept.at(-1)!.lastSeq).toBe(1000);
  });
});
