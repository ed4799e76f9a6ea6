// Every CLI command registers itself here: one file per command (group) in this folder.
import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerRead } from './read.js';
import { registerDemo, registerRun } from './run.js';
import { registerSim } from './sim.js';

export const commands: readonly ((program: Command) => void)[] = [registerRun, registerConfig, registerRead, registerSim, registerDemo];
