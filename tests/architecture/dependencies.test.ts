// The dependency rules of .dependency-cruiser.cjs, checked with dependency-cruiser itself: the real
// tree has no violation, the safety kernel's module graph stays within its budget, and a planted
// wrong-way import (in a scratch tree, never in ours) is caught, so the check can fail.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
/**
 * Project modules the kernel process loads at run time (protocols/ and drivers/ included). The
 * issue's goal is ≤ 20; today it is this many, and it may only go down (see README "Safety kernel").
 */
const KERNEL_MODULE_BUDGET = 51;

interface CruiseResult {
  modules: { source: string; coreModule?: boolean }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

function cruise(cwd: string, ...targets: string[]): CruiseResult {
  const r = spawnSync(process.execPath, [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...targets], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !r.stdout.startsWith('{')) throw new Error(`dependency-cruiser failed (rc ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CruiseResult;
}

const scratch = mkdtempSync(join(tmpdir(), 'minegate-depcruise-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function plant(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(scratch, '.dependency-cruiser.cjs'));
  copyFileSync(join(root, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
}

describe('dependency rules (dependency-cruiser)', () => {
  it('the tree has no violation, and the safety kernel loads no more project modules than its budget', () => {
    const result = cruise(root, 'edge/kernel/kernel-process.ts', 'protocols', 'core');
    expect(result.summary.violations).toEqual([]);
    const kernel = cruise(root, 'edge/kernel/kernel-process.ts');
    const ours = kernel.modules.filter((m) => !m.coreModule && !m.source.includes('node_modules'));
    console.log(`safety kernel: ${ours.length} project modules at run time (budget ${KERNEL_MODULE_BUDGET}, goal 20)`);
    expect(ours.length).toBeLessThanOrEqual(KERNEL_MODULE_BUDGET);
  });

  it('a planted wrong-way import fails: the kernel reaching sync/ through another module, protocols/ importing edge/', () => {
    plant({
      'edge/kernel/kernel-process.ts': "import { e } from '../safety/engine.js';\nexport const k = e;\n",
      'edge/safety/engine.ts': "import { b } from '../../sync/outbox.js';\nexport const e = b;\n",
      'sync/outbox.ts': 'export const b = 2;\n',
      'protocols/modbus/master.ts': "import { z } from '../../edge/readings.js';\nexport const p = z;\n",
      'edge/readings.ts': 'export const z = 3;\n',
    });
    const result = cruise(scratch, 'edge/kernel/kernel-process.ts', 'protocols');
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort()).toEqual([
      'protocols-know-only-bytes: protocols/modbus/master.ts → edge/readings.ts',
      'safety-kernel-stays-small: edge/kernel/kernel-process.ts → sync/outbox.ts',
    ]);
  });
});
