// The typed failures of the sync layer. Callers branch on `code`, never on message text.
import { MinegateError } from '../core/minegate-error.js';

export type SyncErrorCode =
  /** A key file is missing, unreadable or not an Ed25519 key of the expected kind. */
  | 'bad-key'
  /** generateKeyPair would overwrite an existing key (a substation's identity is never replaced silently). */
  | 'key-exists'
  /** The outbox was used after close(). */
  | 'closed'
  /** A stream definition clashes with another one of the same name, or is malformed. */
  | 'bad-stream'
  /** A TLS file named in the uplink/receiver options cannot be read. */
  | 'bad-tls-file'
  /** The broker could not be started (embedded aedes or a test mosquitto). */
  | 'broker-failed';

export class SyncError extends MinegateError<SyncErrorCode> {
  constructor(
    code: SyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, { cause: options?.cause });
    this.name = 'SyncError';
  }
}

/** The smallest logger surface sync needs; a pino logger (edge/log.ts) satisfies it. */
export interface SyncLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Logs nothing: the default when the runtime passes no logger (tests, benches). */
export const silentLogger: SyncLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
