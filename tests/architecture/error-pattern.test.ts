// One error pattern (README "Layout"): every error class of ours extends MinegateError, so a caller
// (CLI exit path, control socket, dashboard, test) branches on `code` and names the `file`, whatever
// class threw. The source scan finds any class that subclasses a built-in error (Error, TypeError,
// RangeError, …: see BUILTIN_ERRORS for why all of them) anywhere in the source folders; only the
// base itself may. A planted breach proves the scan can fail. Converted classes keep their shape.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { isMinegateError, MinegateError } from '../../core/minegate-error.js';
import { UsageError } from '../../edge/control/cli-support.js';
import { ActionRefused } from '../../edge/dashboard/actions.js';
import { PersonnelConfigError } from '../../edge/personnel/errors.js';
import { SealEngineClosedError } from '../../edge/seals/engine-types.js';
import { SnapshotError } from '../../edge/seals/snapshot.js';
import { StoreError } from '../../edge/store/store-error.js';
import { ScenarioError, SimulatorError } from '../../simulator/errors.js';
import { builtinErrorSubclasses, readSource, SOURCE_DIRS, sourceFiles } from './source-scan.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('one error pattern', () => {
  it('no class in the source folders subclasses a built-in error except MinegateError itself', () => {
    const files = sourceFiles(root, SOURCE_DIRS);
    expect(files.length).toBeGreaterThan(300);
    const found = files.flatMap((f) => builtinErrorSubclasses(f, readSource(root, f)));
    expect(found.map((e) => `${e.file}:${e.line} ${e.name} extends ${e.base}`)).toEqual(['core/minegate-error.ts:14 MinegateError extends Error']);
  });

  it('a planted breach is found: extends Error, a generic, another built-in, a class expression, over several lines', () => {
    const planted = [
      'export class DiskError extends Error {}',
      "export class LimitError<T> extends RangeError { constructor(readonly limit: T) { super('over'); } }",
      'export const Anon = class extends globalThis.TypeError {};',
      'export class Wrapped',
      '  extends',
      '    AggregateError {}',
      // Not breaches: ours, a non-error base, and a plain throw of a built-in for a programming mistake.
      "export class Fine extends MinegateError<'x'> {}",
      'export class Emitter extends EventEmitter {}',
      "export function check(n: number) { if (n < 0) throw new RangeError('negative'); }",
    ].join('\n');
    expect(builtinErrorSubclasses('edge/planted.ts', planted).map((e) => `${e.line} ${e.name} extends ${e.base}`)).toEqual([
      '1 DiskError extends Error',
      '2 LimitError extends RangeError',
      '3 (anonymous) extends TypeError',
      '4 Wrapped extends AggregateError',
    ]);
  });

  it('converted classes keep their name, code, file and fields, and are still instances of their own class', () => {
    const store = new StoreError('corrupt', '/var/lib/minegate/store.db', 'not a database', { cause: new Error('SQLITE_NOTADB'), component: 'outbox' });
    expect([store.name, store.code, store.file, store.component, (store.cause as Error).message]).toEqual(['StoreError', 'corrupt', '/var/lib/minegate/store.db', 'outbox', 'SQLITE_NOTADB']);

    const snapshot = new SnapshotError('http-status', 'http://cam-3/snapshot.jpg', 'HTTP 503', { status: 503 });
    expect([snapshot.name, snapshot.code, snapshot.url, snapshot.status, 'cause' in snapshot, 'file' in snapshot]).toEqual(['SnapshotError', 'http-status', 'http://cam-3/snapshot.jpg', 503, false, false]);

    const scenario = new ScenarioError('SCENARIO_INVALID', 'scenarios/gas.yaml', [{ file: 'scenarios/gas.yaml', line: 4, column: 3, path: 'steps[0].at', message: 'must be a duration' }]);
    expect([scenario.name, scenario.code, scenario.file, scenario.issues.length]).toEqual(['ScenarioError', 'SCENARIO_INVALID', 'scenarios/gas.yaml', 1]);

    const sim = new SimulatorError('unknown-bus', 'no bus "b9"', { bus: 'b9' });
    const usage = new UsageError('--timeout must be a positive number of seconds');
    const refused = new ActionRefused(400, 'REASON_REQUIRED', 'a reason is required');
    const closed = new SealEngineClosedError();
    const personnel = new PersonnelConfigError([{ path: ['personnel', 'areas', 0], message: 'no id' }]);
    expect([sim.name, sim.code, sim.details]).toEqual(['SimulatorError', 'unknown-bus', { bus: 'b9' }]);
    expect([usage.name, usage.code, usage.message]).toEqual(['UsageError', 'BAD_USAGE', '--timeout must be a positive number of seconds']);
    expect([refused.name, refused.code, refused.status]).toEqual(['ActionRefused', 'REASON_REQUIRED', 400]);
    expect([closed.name, closed.code, closed.message]).toEqual(['SealEngineClosedError', 'closed', 'SealEngine is closed']);
    expect([personnel.name, personnel.code, personnel.problems.length]).toEqual(['PersonnelConfigError', 'PERSONNEL_CONFIG_INVALID', 1]);

    const all = [store, snapshot, scenario, sim, usage, refused, closed, personnel];
    for (const e of all) {
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(MinegateError);
      expect(isMinegateError(e, e.code)).toBe(true);
    }
    expect([store instanceof StoreError, sim instanceof SimulatorError, sim instanceof ScenarioError, usage instanceof UsageError]).toEqual([true, true, false, true]);
  });
});
