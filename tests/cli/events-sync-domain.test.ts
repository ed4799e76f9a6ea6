// `events --domain` covers sync too (issue 14, item 1): the platform commands the gateway refused
// (unsigned, bad signature, expired, replayed) are the upstream link's own record, kept in
// <data-dir>/outbox.db; `--domain sync` lists them and `--domain all` merges them with the rest.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { SafetyStore, safetyMigrations } from '../../edge/safety/store.js';
import { CommandLog } from '../../edge/control/command-log.js';
import { openSyncDatabase } from '../../sync/sync-database.js';
import { tempDir } from '../sync/helpers/fixtures.js';
import { minegate } from '../ops/helpers/cli.js';

const T0 = Date.now() - 60_000;
let t: ReturnType<typeof tempDir>;

beforeAll(() => {
  t = tempDir('mg-events-sync-');
  const db = openDatabase(path.join(t.dir, 'minegate.db'), { safety: safetyMigrations });
  new SafetyStore(db).write({ events: [{ seq: 1, type: 'alarm-on', wallTime: T0, monoTime: 0, point: 'T1', message: 'T1 over the alarm point' }] });
  db.close();
  const outbox = openSyncDatabase(path.join(t.dir, 'outbox.db'));
  new CommandLog(outbox).record({ at: T0 + 1000, commandId: 'cmd-7', kind: 'remote-cut', reason: 'bad-signature', detail: 'signature does not verify with the platform key' });
  outbox.close();
});
afterAll(() => t.cleanup());

describe('events --domain sync', () => {
  it('lists the refused platform commands, alone and merged into --domain all; a bogus domain is usage (2)', async () => {
    const sync = await minegate(['events', '--domain', 'sync', '--json', '-d', t.dir]);
    expect(sync.code, sync.stderr).toBe(0);
    const rows = JSON.parse(sync.stdout) as { domain: string; type: string; message: string }[];
    expect(rows).toEqual([expect.objectContaining({ domain: 'sync', type: 'remote-refused', message: expect.stringContaining('cmd-7 rejected: bad-signature') })]);
    const all = JSON.parse((await minegate(['events', '--domain', 'all', '--json', '-d', t.dir])).stdout) as { domain: string }[];
    expect(all.map((r) => r.domain)).toEqual(['sync', 'safety']);
    const bogus = await minegate(['events', '--domain', 'weather', '-d', t.dir]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('sync');
  });
});
