// Typed errors of the simulated reader network: tests branch on `code`, not on message text.
import { MinegateError } from '../../core/minegate-error.js';

/**
 * - unknown-reader: no reader with that address in the network.
 * - unknown-card:   no card with that tag (move() creates cards; the other calls need one).
 * - no-serial-line: the call needs the RS-485 line, but the network has no framed readers.
 * - bad-state:      the network is stopped, or a call that needs it stopped.
 * - bad-option:     an option of startReaderNetwork() is out of range.
 */
export type ReaderNetworkErrorCode = 'unknown-reader' | 'unknown-card' | 'no-serial-line' | 'bad-state' | 'bad-option';

export class ReaderNetworkError extends MinegateError<ReaderNetworkErrorCode> {
  override readonly name = 'ReaderNetworkError';
  constructor(
    code: ReaderNetworkErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}
