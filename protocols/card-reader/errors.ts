// Typed errors of the card-reader drivers: callers branch on `code`, never on message text.
import type { PageResult } from './types.js';
import { MinegateError } from '../../core/minegate-error.js';

/**
 * - page-timeout:     no page ack from the reader within the timeout.
 * - page-rejected:    the reader answered, but did not deliver the page (`result` says why).
 * - page-unsupported: the reader's status says it cannot page cards; nothing was sent.
 * - reader-offline:   the reader is offline (silent); nothing was sent.
 * - offline:          the bus link is down.
 * - closed:           the driver was closed while the request was pending.
 * - bad-request:      an argument out of range (reader address, tag, mode).
 */
export type CardReaderErrorCode = 'page-timeout' | 'page-rejected' | 'page-unsupported' | 'reader-offline' | 'offline' | 'closed' | 'bad-request';

export interface CardReaderErrorDetails {
  reader?: number;
  tag?: number;
  /** page-rejected: what the reader answered. */
  result?: PageResult;
  cause?: unknown;
}

export class CardReaderError extends MinegateError<CardReaderErrorCode> {
  override readonly name = 'CardReaderError';
  readonly reader?: number;
  readonly tag?: number;
  readonly result?: PageResult;

  constructor(
    code: CardReaderErrorCode,
    message: string,
    details: CardReaderErrorDetails = {},
  ) {
    super(code, message, { cause: details.cause });
    if (details.reader !== undefined) this.reader = details.reader;
    if (details.tag !== undefined) this.tag = details.tag;
    if (details.result !== undefined) this.result = details.result;
  }
}

export function isCardReaderError(err: unknown, code?: CardReaderErrorCode): err is CardReaderError {
  return err instanceof CardReaderError && (code === undefined || err.code === code);
}
