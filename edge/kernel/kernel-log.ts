// The kernel's logger: pino formats the line in the kernel process, and the line crosses to the
// gateway process as a routine message, which writes it to the log file. The kernel never touches
// the log file, so a full disk, a dead pipe or a slow card can never stall or end protection;
// when the gateway process falls behind, lines are dropped and counted.
import { pino } from 'pino';
import type { Logger } from '../log.js';
import type { KernelChannel } from './kernel-channel.js';

export function kernelLogger(channel: KernelChannel, level: string): Logger {
  return pino(
    { level, name: 'minegate', timestamp: pino.stdTimeFunctions.isoTime, base: { thread: 'kernel' } },
    { write: (line: string) => void channel.routine({ t: 'log', line }, 'logs') },
  );
}
