// Outbox and downlink options resolved against OUTBOX_DEFAULTS / DOWNLINK_DEFAULTS through the one
// shared helper (sync/option-defaults.ts): an unset option takes its default, a given one is kept,
// and a bad count or interval is refused at construction with the component and option named.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Downlink } from '../../sync/downlink.js';
import { OUTBOX_DEFAULTS, type Outbox } from '../../sync/outbox.js';
import { MINE, SUBSTATION, makeOutbox, openOutboxDb, tempDir, testKeys } from './helpers/fixtures.js';

const keys = testKeys();
let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
const outboxes: Outbox[] = [];

beforeEach(() => {
  tmp = tempDir();
  db = openOutboxDb(join(tmp.dir, 'sync.db'));
});
afterEach(() => {
  for (const o of outboxes.splice(0)) o.close();
  db.close();
  tmp.cleanup();
});

function outbox(extra: Parameters<typeof makeOutbox>[2] = {}): Outbox {
  const o = makeOutbox(db, keys.privateKey, extra);
  outboxes.push(o);
  return o;
}

describe('outbox and downlink options', () => {
  it('the outbox takes the default byte cap when none is given and keeps one that is', () => {
    expect(outbox().stats().maxBytes).toBe(OUTBOX_DEFAULTS.maxBytes);
    expect(outbox({ maxBytes: 4 * 1024 * 1024 }).stats().maxBytes).toBe(4 * 1024 * 1024);
  });

  it('the outbox refuses a count that is not a positive integer, naming it and the value', () => {
    expect(() => outbox({ queueCapacity: 0 })).toThrow(new TypeError('Outbox: queueCapacity must be a positive integer, got 0'));
    expect(() => outbox({ batchMaxRecords: 2.5 })).toThrow(new TypeError('Outbox: batchMaxRecords must be a positive integer, got 2.5'));
    // diskRetryMs may be 0 (retry at once), not negative.
    expect(() => outbox({ diskRetryMs: 0 })).not.toThrow();
    expect(() => outbox({ diskRetryMs: -1 })).toThrow(/diskRetryMs must be a non-negative integer/);
  });

  it('the downlink refuses a window that is not a positive integer, naming it and the value', () => {
    const ob = outbox();
    const base = { db, outbox: ob, platformKey: testKeys().publicKey, mineCode: MINE, substation: SUBSTATION };
    expect(() => new Downlink({ ...base, maxLifetimeMs: -5 })).toThrow(new TypeError('Downlink: maxLifetimeMs must be a positive integer, got -5'));
    expect(() => new Downlink({ ...base, maxPayloadBytes: Number.NaN })).toThrow(new TypeError('Downlink: maxPayloadBytes must be a positive integer, got NaN'));
    expect(() => new Downlink(base)).not.toThrow();
  });
});
