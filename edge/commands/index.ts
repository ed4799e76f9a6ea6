// Every CLI command registers itself here: one file per command (group) in this folder.
import type { Command } from 'commander';
import { registerAck } from './ack.js';
import { registerCalibrate } from './calibrate.js';
import { registerCut } from './cut.js';
import { registerEvents } from './events.js';
import { registerInterlock } from './interlock.js';
import { registerRelay } from './relay.js';
import { registerStatus } from './status.js';
import { registerUnlock } from './unlock.js';
import { registerConfig } from './config.js';
import { registerRead } from './read.js';
import { registerDemo, registerRun } from './run.js';
import { registerSim } from './sim.js';

export const commands: readonly ((program: Command) => void)[] = [registerRun, registerConfig, registerRead, registerSim, registerDemo, registerStatus, registerEvents, registerCut, registerUnlock, registerAck, registerRelay, registerCalibrate, registerInterlock];
