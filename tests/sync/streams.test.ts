// The stream registry: every upstream stream declares type, lane, criticality and snapshot
// interval, and a batch of each MT/T 1201 stream is a file the national parser accepts.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFile } from '../../sync/formats/mt1201-file.js';
import { LANES } from '../../sync/stream.js';
import { STREAMS, cdssStream, fzssStream, jzssStream, ryqjStream, ryssStream, streamByName, tjsjStream, ycbjStream } from '../../sync/streams/index.js';
import { MINE, SUBSTATION, cdssRecord, makeOutbox, openOutboxDb, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { keys } from './helpers/pipeline.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('stream registry', () => {
  it('has unique names and topic types, and every stream is findable by name', () => {
    expect(new Set(STREAMS.map((s) => s.name)).size).toBe(STREAMS.length);
    expect(new Set(STREAMS.map((s) => s.type)).size).toBe(STREAMS.length);
    for (const s of STREAMS) expect(streamByName(s.name)).toBe(s);
  });

  it('declares the lanes, criticality and snapshot intervals of the design', () => {
    const decl = (s: (typeof STREAMS)[number]) => [s.type, s.lane, s.criticality, s.snapshotIntervalMs];
    expect(decl(cdssStream)).toEqual(['CDSS', 'realtime', 'routine', 10_000]);
    expect(decl(ryssStream)).toEqual(['RYSS', 'realtime', 'routine', 30_000]);
    expect(decl(jzssStream)).toEqual(['JZSS', 'realtime', 'routine', 60_000]);
    expect(decl(fzssStream)).toEqual(['FZSS', 'realtime', 'routine', 60_000]);
    expect(decl(ycbjStream)).toEqual(['YCBJ', 'event', 'critical', null]);
    expect(decl(ryqjStream)).toEqual(['RYQJ', 'event', 'critical', null]);
    expect(decl(tjsjStream)).toEqual(['TJSJ', 'backlog', 'critical', null]);
    // Everything that must be kept ≥ 1 year locally is critical and has local history.
    for (const s of [ycbjStream, ryqjStream, tjsjStream]) expect(s.historyRetentionMs).toBeGreaterThanOrEqual(365 * 86_400_000);
    for (const s of STREAMS) expect(LANES).toContain(s.lane);
  });
});

describe('MT/T 1201 batches', () => {
  it('are files the national-format parser accepts, one record per sequence number, named after the seal time', () => {
    const db = openOutboxDb(join(tmp.dir, 'outbox.db'));
    const outbox = makeOutbox(db, keys.privateKey, { now: () => T0 + 123_000 });
    for (let i = 0; i < 5; i++) outbox.append(cdssStream, cdssRecord(0.1 * i, T0 + i * 10_000));
    outbox.append(ycbjStream, ycbjRecord(T0));
    outbox.append(fzssStream, { substationCode: SUBSTATION, runStatus: '0', powerStatus: '1', dataTime: T0 });
    outbox.append(ryssStream, {
      snapshotTime: T0,
      record: {
        cardCode: `${MINE}00001`,
        name: '张三',
        inOutFlag: '1',
        entryTime: T0 - 3_600_000,
        exitTime: null,
        areaCode: `${MINE}0001`,
        areaEntryTime: T0 - 600_000,
        stationCode: `${MINE}0001000001`,
        stationEntryTime: T0 - 60_000,
        labourOrganisation: '三八制',
        distanceM: -12.5,
        workState: '正常',
        isMineLeader: false,
        isSpecialWorker: true,
        track: [{ stationCode: `${MINE}0001000001`, time: T0 - 60_000 }],
      },
    });
    expect(outbox.flush()).toMatchObject({ ok: true, records: 8, rejected: 0 });
    const seen: Record<string, number> = {};
    for (const lane of LANES) {
      let after = 0;
      for (let b = outbox.claimNext(lane, after); b; b = outbox.claimNext(lane, after)) {
        after = b.id;
        const parsed = parseFile(b.name, b.payload);
        expect(parsed.type).toBe(b.type);
        expect(parsed.mineCode).toBe(MINE);
        expect(parsed.fileTime).toBe('20260101080203'); // seal time, mine time (UTC+8)
        expect(parsed.records).toHaveLength(b.lastSeq - b.firstSeq + 1);
        seen[b.type] = parsed.records.length;
      }
    }
    expect(seen).toEqual({ CDSS: 5, YCBJ: 1, FZSS: 1, RYSS: 1 });
    outbox.close();
    db.close();
  });

  it('rejects a record that breaks the national format (a separator inside a field) without stopping the others', () => {
    const db = openOutboxDb(join(tmp.dir, 'outbox.db'));
    const outbox = makeOutbox(db, keys.privateKey);
    outbox.append(cdssStream, cdssRecord(0.3, T0));
    outbox.append(cdssStream, { ...cdssRecord(0.3, T0), location: '3101;回风巷' });
    outbox.append(cdssStream, cdssRecord(0.4, T0 + 10_000));
    expect(outbox.flush()).toMatchObject({ ok: true, records: 2, rejected: 1 });
    outbox.close();
    db.close();
  });
});
