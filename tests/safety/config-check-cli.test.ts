// `minegate config check` refuses thresholds looser than the standard preset, naming the preset
// value and its source (the shipped broken example 17), as a technician sees it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/built.js';
import { runCli } from '../cli/run-cli.js';

describe('config check: looser-than-standard thresholds', () => {
  it('rejects board-configs/examples/broken/17-looser-threshold.yaml with file:line and the preset values', async () => {
    const file = join(repoRoot, 'board-configs/examples/broken/17-looser-threshold.yaml');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`17-looser-threshold\\.yaml:\\d+:\\d+  points\\[0\\]\\.thresholds\\.cutoff  2\\.0 %CH4 is looser than the heading\\.T1 preset 1\\.5 %CH4 \\(AQ 1029-2019 table`));
    expect(r.stdout).toContain('mark an approvedException with a reason to override');
    expect(r.stdout).toContain('FAIL');
  });
});
