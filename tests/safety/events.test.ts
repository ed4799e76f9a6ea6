import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { type SafetyBatch, type SafetyEvent, SafetyJournal } from '../../edge/safety/events.js';
import { SafetyStore, safetyMigrations } from '../../edge/safety/store.js';
import { waitFor } from '../helpers/wait-for.js';
import { runningRig } from './rig.js';

function ev(seq: number): SafetyEvent {
  return { seq, type: 'alarm-on', wallTime: 1_700_000_000_000 + seq, monoTime: seq, key: `k${seq}`, message: `event ${seq}` };
}

describe('safety journal (bounded queue, flushed off the safety path)', () => {
  const journals: SafetyJournal[] = [];
  const track = (j: SafetyJournal) => (journals.push(j), j);
  afterEach(async () => {
    for (const j of journals.splice(0)) await j.close();
  });

  it('never writes synchronously inside record(): the engine does not wait on the store', async () => {
    const writes: SafetyBatch[] = [];
    const journal = track(new SafetyJournal({ write: (b) => void writes.push(b) }));
    journal.record([ev(1), ev(2)]);
    expect(writes).toEqual([]);
    await waitFor(() => writes.length > 0, { what: 'the first write' });
    expect(writes[0]!.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('a store that never answers does not slow evaluation; events queue in memory', () => {
    const rig = runningRig(undefined, { journal: track(new SafetyJournal({ write: () => new Promise<void>(() => {}) }, { capacity: 100_000, closeTimeoutMs: 20 })) });
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) rig.set({ 'CH4-T1': i % 2 ? 1.6 : 0.2 }).step();
    const perCycle = (performance.now() - t0) / 200;
    expect(perCycle).toBeLessThan(5);
  });

  it('retries a failing store and loses nothing, in order', async () => {
    let failures = 3;
    const written: SafetyEvent[] = [];
    const journal = track(
      new SafetyJournal(
        {
          write: (b) => {
            if (failures-- > 0) throw Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
            written.push(...b.events);
          },
        },
        { retryMs: 2, batchSize: 4 },
      ),
    );
    journal.record([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(ev));
    await waitFor(() => written.length === 10, { what: 'all events written' });
    expect(written.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(journal.stats()).toMatchObject({ failures: 3, dropped: 0, queued: 0, written: 10, lastError: null });
  });

  it('when full, drops the oldest and writes a notice of how many were lost', async () => {
    let down = true;
    const written: SafetyEvent[] = [];
    const journal = track(
      new SafetyJournal(
        {
          write: (b) => {
            if (down) throw new Error('disk full');
            written.push(...b.events);
          },
        },
        { capacity: 10, retryMs: 2, maxRetryMs: 4 },
      ),
    );
    journal.record(Array.from({ length: 25 }, (_, i) => ev(i + 1)));
    await waitFor(() => journal.stats().failures > 0, { what: 'a failed write' });
    expect(journal.stats()).toMatchObject({ queued: 10, dropped: 15, lastError: 'disk full' });
    down = false;
    await waitFor(() => journal.stats().queued === 0 && written.length > 0, { what: 'drain after recovery' });
    expect(written[0]).toMatchObject({ type: 'events-dropped', value: 15 });
    expect(written.slice(1).map((e) => e.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  it('writes only the newest hold snapshot', async () => {
    const writes: SafetyBatch[] = [];
    const journal = track(new SafetyJournal({ write: (b) => void writes.push(b) }));
    const hold = (output: string) => ({ output, key: 'over-limit:T1', rule: 'over-limit' as const, subject: 'T1', reason: 'r', clause: 'c', sinceWall: 1 });
    journal.saveHolds([hold('a')]);
    journal.saveHolds([hold('b')]);
    await journal.flush();
    expect(writes.flatMap((w) => w.holds ?? [])).toEqual([hold('b')]);
  });

  it('validates its options', () => {
    expect(() => new SafetyJournal({ write: () => {} }, { capacity: 0 })).toThrow(/capacity must be a positive integer, got 0/);
    expect(() => new SafetyJournal(null as never)).toThrow(TypeError);
  });
});

describe('SQLite safety store (component "safety")', () => {
  let dir: string;
  let db: Database.Database;
  const journals: SafetyJournal[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'minegate-events-'));
    db = openDatabase(join(dir, 'minegate.db'), { safety: safetyMigrations });
  });
  afterEach(async () => {
    for (const j of journals.splice(0)) await j.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every engine event durably with rule, point, value, threshold, clause, operator and wall time', async () => {
    const store = new SafetyStore(db);
    const journal = new SafetyJournal(store);
    journals.push(journal);
    const rig = runningRig(undefined, { journal });
    rig.set({ 'CH4-T1': 1.6 }).step();
    rig.engine.acknowledge('duty.wang', rig.now);
    rig.engine.remoteCut({ id: 'RC-1', zones: ['heading'], authority: 'dispatch', operator: 'chen', reason: 'spreading gas', durationMs: 60_000 }, rig.now);
    rig.step();
    await journal.flush();

    const stored = store.events({ limit: 1000 }).reverse();
    // Exactly the events the engine returned, each once, in order.
    expect(stored.map((e) => e.seq)).toEqual(rig.events.map((e) => e.seq));
    const cut = stored.find((e) => e.type === 'cut')!;
    expect(cut).toMatchObject({ rule: 'over-limit', point: 'CH4-T1', value: 1.6, threshold: 1.5, outputs: ['heading-power'], abnormality: '002' });
    expect(cut.clause).toContain('AQ 1029-2019');
    expect(cut.wallTime).toBe(rig.wallOffset + rig.now - 1000);
    expect(stored.find((e) => e.type === 'acknowledge')).toMatchObject({ operator: 'duty.wang' });
    expect(stored.find((e) => e.type === 'remote-cut')).toMatchObject({ operator: 'chen', authority: 'dispatch', reason: 'spreading gas' });
    expect(store.loadHolds().map((h) => h.key).sort()).toEqual(['over-limit:CH4-T1', 'remote-cut:RC-1']);
    expect(store.events({ point: 'CH4-T1', types: ['cut'] })).toHaveLength(1);
  });

  it('survives a full disk: writes fail, the engine keeps cutting, the backlog lands once space returns', async () => {
    const store = new SafetyStore(db);
    const journal = new SafetyJournal(store, { retryMs: 2, maxRetryMs: 8 });
    journals.push(journal);
    const pages = db.pragma('page_count', { simple: true }) as number;
    // A real SQLITE_FULL: the file may not grow any more.
    db.pragma(`max_page_count = ${pages}`);
    const rig = runningRig(undefined, { journal });
    for (let i = 0; i < 300; i++) rig.set({ 'CH4-T1': i % 2 === 0 ? 1.6 : 0.2 }).step();
    expect(rig.energized('heading-power')).toBe(true);
    await waitFor(() => journal.stats().failures > 0, { what: 'SQLITE_FULL' });
    expect(journal.stats().lastError).toMatch(/full/i);
    rig.set({ 'CH4-T1': 1.7 }).step();
    expect(rig.energized('heading-power')).toBe(false);
    db.pragma('max_page_count = 1073741823');
    await waitFor(() => journal.stats().queued === 0, { what: 'backlog written', timeoutMs: 10_000 });
    expect(store.events({ limit: 100_000 })).toHaveLength(rig.events.length);
  });
});
