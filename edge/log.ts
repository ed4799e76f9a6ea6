// One JSON-lines log per gateway, written asynchronously so logging never stalls polling.
// Modules take a child logger: createLogger(...).child({ module: 'poller' }).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Gateway data directory; the log goes to <dataDir>/logs/minegate.log. Absent: log nowhere (tests). */
  dataDir?: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level?: string;
  name?: string;
}

export const loggerDefaults = { level: 'info', name: 'minegate', fileName: 'minegate.log' } as const;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? loggerDefaults.level;
  if (!LEVELS.has(level)) {
    throw new TypeError(`createLogger: level must be one of ${[...LEVELS].join(', ')}, got ${JSON.stringify(opts.level)}`);
  }
  const name = opts.name ?? loggerDefaults.name;
  const options = { level, name, timestamp: pino.stdTimeFunctions.isoTime };
  // An explicit sink: pino's default destination is stdout, which closeLogger() must never end.
  if (opts.dataDir === undefined) return pino({ ...options, enabled: false }, { write: () => undefined });
  if (typeof opts.dataDir !== 'string' || opts.dataDir.trim() === '') {
    throw new TypeError(`createLogger: dataDir must be a directory path, got ${JSON.stringify(opts.dataDir)}`);
  }
  const dir = join(opts.dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  // Async sonic-boom: pino flushes it synchronously on a normal process exit; closeLogger() on shutdown.
  const destination = pino.destination({ dest: join(dir, loggerDefaults.fileName), sync: false, mkdir: true });
  return pino(options, destination);
}

/** Flush everything buffered to disk and close the log file (any logger or child of it). */
export async function closeLogger(logger: Logger): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | { end?: () => void; once?: (event: string, cb: () => void) => void; destroyed?: boolean }
    | undefined;
  if (!stream || typeof stream.end !== 'function' || typeof stream.once !== 'function' || stream.destroyed) return;
  await new Promise<void>((resolveClosed) => {
    stream.once!('close', resolveClosed);
    stream.end!();
  });
}
