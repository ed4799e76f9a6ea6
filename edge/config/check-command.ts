// `minegate config check <files...>`: validate board configs the way the gateway would load them,
// and print every mistake as `file:line:col  path  message` (one per line, greppable).
import { ConfigError } from '../../core/config-error.js';
import { loadConfig, type LoadConfigOptions } from './load-config.js';

/** Exit code: 0 when every file is valid, 1 when any is not. */
export function checkConfigFiles(files: readonly string[], out: (line: string) => void, opts: LoadConfigOptions = {}): number {
  if (!Array.isArray(files)) throw new TypeError(`checkConfigFiles: files must be an array, got ${String(files)}`);
  if (typeof out !== 'function') throw new TypeError(`checkConfigFiles: out must be a function, got ${String(out)}`);
  if (files.length === 0) {
    out('no config files given');
    return 1;
  }
  let failed = false;
  for (const file of files) {
    try {
      const { config } = loadConfig(file, opts);
      out(`OK ${file} (${config.buses.length} buses, ${config.devices.length} devices, ${config.points.length} points)`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failed = true;
      for (const issue of err.issues) out(`${issue.file}:${issue.line}:${issue.column}  ${issue.path}  ${issue.message}`);
      out(`FAIL ${file} (${err.issues.length} ${err.issues.length === 1 ? 'issue' : 'issues'})`);
    }
  }
  return failed ? 1 : 0;
}
