// `minegate config check`: validate board configs before they reach a substation.
import type { Command } from 'commander';
import { checkConfigFiles } from '../config/check-command.js';
import { out } from './output.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('board config tools');
  config
    .command('check')
    .description('validate board configs; prints file:line and field path for every mistake')
    .argument('<files...>', 'config files')
    .addHelpText('after', '\nExample:\n  minegate config check board-configs/examples/*.yaml')
    .action((files: string[]) => {
      process.exitCode = checkConfigFiles(files, out);
    });
}
