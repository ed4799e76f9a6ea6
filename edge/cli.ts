#!/usr/bin/env node
// minegate command line: what a technician types at the substation console.
// Exit codes: 0 success; 1 the command failed (invalid config, device did not answer, refused);
// 2 bad usage (unknown command or option). Each command lives in edge/commands/.
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { EXIT } from './commands/output.js';

function buildProgram(): Command {
  const program = new Command('minegate')
    .description('Edge gateway for an underground coal-mine substation (井下分站)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`minegate: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

process.exitCode = await main(process.argv);
