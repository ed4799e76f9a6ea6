// One JSON-lines log per gateway, written asynchronously so logging never stalls polling.
// Modules take a child logger: createLogger(...).child({ module: 'poller' }).
// The file is written by LogSink (log-sink.ts), not sonic-boom: a full disk, a dead card or a closed
// pipe costs log lines (counted in logStats()), never the process, and no exit path can spin on it.
import { join } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';
import { LogSink, type LogSinkOptions, type LogSinkStats } from './log-sink.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Gateway data directory; the log goes to <dataDir>/logs/minegate.log. Absent: log nowhere (tests). */
  dataDir?: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level?: string;
  name?: string;
  /** Buffer and retry limits of the file writer (tests). */
  sink?: LogSinkOptions;
}

export const LOGGER_DEFAULTS = { level: 'info', name: 'minegate', fileName: 'minegate.log' } as const;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? LOGGER_DEFAULTS.level;
  if (!LEVELS.has(level)) {
    throw new TypeError(`createLogger: level must be one of ${[...LEVELS].join(', ')}, got ${JSON.stringify(opts.level)}`);
  }
  const name = opts.name ?? LOGGER_DEFAULTS.name;
  const options = { level, name, timestamp: pino.stdTimeFunctions.isoTime };
  // An explicit sink: pino's default destination is stdout, which closeLogger() must never end.
  if (opts.dataDir === undefined) return pino({ ...options, enabled: false }, { write: () => undefined });
  if (typeof opts.dataDir !== 'string' || opts.dataDir.trim() === '') {
    throw new TypeError(`createLogger: dataDir must be a directory path, got ${JSON.stringify(opts.dataDir)}`);
  }
  // The directory and file are made by the sink, in the background: a data dir that cannot take
  // them now (full, read-only) must not stop the gateway from starting; the sink keeps retrying.
  return pino(options, new LogSink(join(opts.dataDir, 'logs', LOGGER_DEFAULTS.fileName), opts.sink));
}

function sinkOf(logger: Logger): LogSink | undefined {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return stream instanceof LogSink ? stream : undefined;
}

/** The log file's counters (lines written, dropped, failures); undefined for a logger that logs nowhere. */
export function logStats(logger: Logger): LogSinkStats | undefined {
  return sinkOf(logger)?.stats();
}

/** Wait (at most timeoutMs) until what is buffered is written; false if it was not. Never throws. */
export function settleLogger(logger: Logger, timeoutMs?: number): Promise<boolean> {
  return sinkOf(logger)?.settle(timeoutMs) ?? Promise.resolve(true);
}

/** Write what is buffered (at most timeoutMs, default 2 s) and close the log file (any logger or child of it). */
export async function closeLogger(logger: Logger, timeoutMs?: number): Promise<void> {
  await sinkOf(logger)?.end(timeoutMs);
}
