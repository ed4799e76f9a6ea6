// Conventions every command keeps: --version, usage mistakes exit 2 and failures 1, a closed pipe
// ends the output quietly, config check --json, run refuses a busy-loop refresh, and the default
// locations with their environment overrides (doctor says which one was used).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { built, repoRoot } from '../helpers/built.js';
import { minegate } from '../ops/helpers/cli.js';

const demoConfig = join(repoRoot, 'board-configs/examples/demo-substation.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mg-conv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('minegate command conventions', () => {
  it('--version prints the package version', async () => {
    const r = await minegate(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('usage mistakes exit 2 in every command: a bad --kind, a missing --reason, a busy-loop --refresh-ms', async () => {
    const kind = await minegate(['events', '--kind', 'bogus', '-d', tmp]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('--kind must be an event type');
    const relay = await minegate(['relay', 'test', 'siren', '--user', 'zhang', '-d', tmp]);
    expect(relay.code).toBe(2);
    const board = await minegate(['board', 'set', 'ch4-t1', 'alarm-point', '1.0', '-c', demoConfig, '-d', tmp, '--user', 'zhang']);
    expect(board.code).toBe(2);
    expect(board.stderr).toMatch(/reason/);
    const refresh = await minegate(['run', '-c', demoConfig, '-d', join(tmp, 'run'), '--refresh-ms', '0']);
    expect(refresh.code).toBe(2);
    expect(refresh.stderr).toContain('--refresh-ms must be an integer >= 200, got "0"');
    const noGateway = await minegate(['status', '-d', tmp]);
    expect(noGateway.code).toBe(1);
  });

  it('config check --json lists every problem of every file with file, line, column and path; rc 1 when any is invalid', async () => {
    const broken = join(repoRoot, 'board-configs/examples/broken/02-wrong-type.yaml');
    const r = await minegate(['config', 'check', '--json', demoConfig, broken]);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as { file: string; ok: boolean; issues: { line: number; column: number; path: string }[] }[];
    expect(results.map((x) => x.ok)).toEqual([true, false]);
    expect(results[1]!.issues[0]).toMatchObject({ line: 22, column: 13, path: 'devices[1].pollMs' });
  });

  it('a reader that goes away (| head) ends the output quietly: no EPIPE stack trace, rc 0', async () => {
    const files = Array.from({ length: 60 }, () => demoConfig);
    const child = spawn(process.execPath, [built('edge/cli.js'), 'config', 'check', ...files], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(0);
  });

  it('MINEGATE_DATA_DIR and MINEGATE_CONFIG stand in for -d and -c, and doctor says which was used', async () => {
    const dataDir = join(tmp, 'env-data');
    const r = await minegate(['doctor', '--json'], { env: { MINEGATE_DATA_DIR: dataDir, MINEGATE_CONFIG: demoConfig } });
    const report = JSON.parse(r.stdout) as { locations: { config: { path: string; source: string }; dataDir: { path: string; source: string } } };
    expect(report.locations).toEqual({ config: { path: demoConfig, source: 'from MINEGATE_CONFIG' }, dataDir: { path: dataDir, source: 'from MINEGATE_DATA_DIR' } });
    const text = await minegate(['doctor', '-c', demoConfig, '-d', dataDir]);
    expect(text.stdout).toContain(`config ${demoConfig} (from -c), data dir ${dataDir} (from -d)`);
    // No config anywhere (this box has no /etc/minegate/minegate.yaml): a usage error naming the option.
    const none = await minegate(['doctor']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("required option '-c, --config <file>'");
  });
});
