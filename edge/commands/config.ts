// `minegate config check`: validate board configs before they reach a substation.
import type { Command } from 'commander';
import { checkConfigFiles } from '../config/check-command.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { EXIT, out } from './output.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('board config tools');
  config
    .command('check')
    .description('validate board configs; prints file:line and field path for every mistake')
    .argument('<files...>', 'config files')
    .option('--json', 'print one JSON array: per file { file, ok, issues: [{ file, line, column, path, message }] }')
    .addHelpText('after', '\nExamples:\n  minegate config check board-configs/examples/*.yaml\n  minegate config check /etc/minegate/minegate.yaml --json\nExit codes: 0 every file valid, 1 any invalid, 2 bad usage.')
    .action((files: string[], o: { json?: boolean }) => {
      if (!o.json) {
        process.exitCode = checkConfigFiles(files, out);
        return;
      }
      const results = files.map((file) => {
        try {
          loadConfig(file);
          return { file, ok: true, issues: [] };
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          return { file, ok: false, issues: err.issues };
        }
      });
      out(JSON.stringify(results, null, 2));
      process.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
    });
}
