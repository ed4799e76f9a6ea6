// edge/log.ts is exercised here because the store is its first user (the writer's state-change lines).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeLogger, createLogger } from '../../edge/log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-log-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('createLogger', () => {
  it('writes JSON lines to <dataDir>/logs/minegate.log, with the module of each child, flushed on close', async () => {
    const logger = createLogger({ dataDir: dir, level: 'debug' });
    logger.child({ module: 'poller' }).warn({ device: 'ch4-1' }, 'device offline');
    logger.debug('detail');
    logger.trace('below the level');
    await closeLogger(logger);

    const lines = readFileSync(join(dir, 'logs', 'minegate.log'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ name: 'minegate', module: 'poller', device: 'ch4-1', msg: 'device offline', level: 40 });
    expect(typeof first!.time).toBe('string');
    expect(Number.isNaN(Date.parse(first!.time as string))).toBe(false);
    expect(second).toMatchObject({ msg: 'detail', level: 20 });
  });

  it('appends to an existing log instead of truncating it', async () => {
    const a = createLogger({ dataDir: dir });
    a.info('first run');
    await closeLogger(a);
    const b = createLogger({ dataDir: dir });
    b.info('second run');
    await closeLogger(b);
    const msgs = readFileSync(join(dir, 'logs', 'minegate.log'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['first run', 'second run']);
  });

  it('logs nowhere without a dataDir (tests), and closing it is harmless', async () => {
    const logger = createLogger({ level: 'trace' });
    expect(logger.isLevelEnabled('fatal')).toBe(false);
    logger.child({ module: 'x' }).fatal('goes nowhere');
    await closeLogger(logger);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(process.cwd(), 'logs', 'minegate.log'))).toBe(false);
  });

  it('rejects an unknown level naming it', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(/verbose/);
    expect(() => createLogger({ dataDir: '  ' })).toThrow(/dataDir/);
  });
});
