// `npm run bench -- poll` prints the gateway-vs-bare-modbus-serial figures with a same-run baseline.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { built, repoRoot } from '../helpers/built.js';

describe('bench poll', () => {
  it('prints JSON lines with a measured baseline and the ratio', () => {
    const r = spawnSync(process.execPath, [built('bench/run.js'), 'poll', '--seconds', '0.3', '--rounds', '1'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { bench: string; figure: string; value: number; baseline: number; ratio: number });
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l.bench).toBe('poll');
      expect(l.value).toBeGreaterThan(0);
      expect(l.baseline).toBeGreaterThan(0);
      expect(l.ratio).toBeCloseTo(l.value / l.baseline, 6);
    }
  });
});
