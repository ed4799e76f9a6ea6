#!/usr/bin/env node
// minegate command line: what a technician types at the substation console.
// Exit codes: 0 success; 1 the command failed (invalid config, device did not answer, refused);
// 2 bad usage (unknown command or option). Each command lives in edge/commands/.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCapabilityConfigChecks } from './capabilities.js';
import { commands } from './commands/index.js';
import { EXIT } from './commands/output.js';

function buildProgram(): Command {
  // Every command that reads a config runs the capabilities' rules too (edge/config/check-registry.ts).
  registerCapabilityConfigChecks();
  const program = new Command('minegate')
    .description('Edge gateway for an underground coal-mine substation (井下分站)')
    .version(packageVersion(), '-V, --version', 'print the minegate version')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// `minegate export | head`: the reader went away. That is the end of the output, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`minegate: ${(err as Error).message}\n`);
    // A usage mistake found after parsing (e.g. --refresh-ms 0) is still a usage mistake.
    return (err as Error).name === 'UsageError' ? EXIT.usage : EXIT.failed;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

process.exitCode = await main(process.argv);
