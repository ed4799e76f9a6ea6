// The config loader's rule registry (edge/config/check-registry.ts): the loader runs the base rules
// and whatever the capabilities registered (edge/capabilities.ts), knowing no feature itself.
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../edge/config/check-context.js';
import { configCheckOwners, configChecks, registerConfigChecks } from '../../edge/config/check-registry.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { personnelChecks } from '../../edge/personnel/config-checks.js';
import { sealChecks } from '../../edge/seals/config-checks.js';
import { structureChecks } from '../../edge/config/structure-checks.js';
import { syncChecks } from '../../sync/config-checks.js';
import { issuesOf, validConfig } from './fixtures.js';

const FILE = '/site/registry.yaml';

describe('config check registry', () => {
  afterEach(() => registerConfigChecks('test-owner', []));

  it('holds the base rules first, then every capability rule the composition root registered', () => {
    expect(configChecks.slice(0, structureChecks.length)).toEqual([...structureChecks]);
    for (const check of [...personnelChecks, ...sealChecks, ...syncChecks]) expect(configChecks).toContain(check);
    expect(configCheckOwners()).toEqual(expect.arrayContaining(['personnel', 'seals', 'sync']));
  });

  it('a registered rule runs when a config loads, once, and registering its owner again replaces it', () => {
    let runs = 0;
    const noSubstationNamedX = (ctx: CheckContext): void => {
      runs++;
      ctx.report(['mine', 'name'], 'planted rule: reported');
    };
    registerConfigChecks('test-owner', [noSubstationNamedX]);
    registerConfigChecks('test-owner', [noSubstationNamedX]);
    const issues = issuesOf(() => parseConfigText(validConfig, FILE));
    expect(runs).toBe(1);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['mine.name: planted rule: reported']);
    registerConfigChecks('test-owner', []);
    expect(() => parseConfigText(validConfig, FILE)).not.toThrow();
    expect(runs).toBe(1);
  });

  it('refuses an owner without a name or rules that are not functions', () => {
    expect(() => registerConfigChecks('', [])).toThrow(TypeError);
    expect(() => registerConfigChecks('x', [42 as unknown as () => void])).toThrow(/array of functions/);
  });
});
