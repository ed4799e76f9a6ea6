import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PtyPair, PtyPairError } from '../../simulator/pty-pair.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { Cleanup } from './fixtures.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('PtyPair', () => {
  it('creates two linked PTYs that carry bytes both ways, in a given folder with given names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pty-test-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }), null);
    const pair = await PtyPair.create({ dir, names: ['ttyGW', 'ttySIM'] });
    cleanup.add(() => pair.dispose(), null);
    expect(pair.masterPath).toBe(join(dir, 'ttyGW'));
    expect(pair.slavePath).toBe(join(dir, 'ttySIM'));
    const gw = new SerialLink({ path: pair.masterPath, baudRate: 9600 });
    const sim = new SerialLink({ path: pair.slavePath, baudRate: 9600 });
    await gw.open();
    await sim.open();
    cleanup.add(() => Promise.all([gw.close(), sim.close()]), null);
    const got = new Promise<Buffer>((resolve) => sim.once('data', resolve));
    await gw.write(Buffer.from([0x01, 0x02, 0x03]));
    expect([...(await got)]).toEqual([1, 2, 3]);
  });

  it('kill() removes the PTYs and recreate() brings them back under the same names', async () => {
    const pair = await PtyPair.create();
    cleanup.add(() => pair.dispose(), null);
    await pair.kill();
    expect(existsSync(pair.masterPath) || existsSync(pair.slavePath)).toBe(false);
    expect(pair.isAlive).toBe(false);
    await pair.recreate();
    expect(existsSync(pair.masterPath) && existsSync(pair.slavePath)).toBe(true);
    const link = new SerialLink({ path: pair.masterPath, baudRate: 9600 });
    await link.open();
    await link.close();
  });

  it('says how to install socat when it is missing', async () => {
    const err = await PtyPair.create({ socatPath: '/nonexistent/socat' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PtyPairError);
    expect(err).toMatchObject({ code: 'socat-missing' });
    expect((err as Error).message).toMatch(/socat not found: apt-get install socat/);
  });
});
