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
import { registerBoard, registerWrite } from './board.js';
import { registerBus } from './bus.js';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { registerExport } from './export.js';
import { registerKeys } from './keys.js';
import { registerRead } from './read.js';
import { registerReload } from './reload.js';
import { registerPlatform } from './platform.js';
import { registerReceive } from './receive.js';
import { registerReplay } from './replay.js';
import { registerDemo, registerRun } from './run.js';
import { registerSim } from './sim.js';
import { registerSync } from './sync.js';
import { registerTap } from './tap.js';
import { registerUser } from './user.js';

export const commands: readonly ((program: Command) => void)[] = [registerRun, registerReload, registerConfig, registerRead, registerSim, registerDemo, registerUser, registerBoard, registerWrite, registerBus, registerTap, registerDoctor, registerStatus, registerEvents, registerCut, registerUnlock, registerAck, registerRelay, registerCalibrate, registerInterlock, registerReplay, registerKeys, registerReceive, registerPlatform, registerSync, registerExport];
