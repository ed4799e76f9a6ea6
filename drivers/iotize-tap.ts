// An IoTize TapNLink board behind our own small interface. The design card named
// @iotize/device-client.js, which has no licence and does not load on Node 20; this uses its MIT
// successor @iotize/tap 2.7.0 (client, APDU codecs, variable service) over our transport
// (drivers/tap-transport.ts). Callers see TapBoard and TapBoardError only, so the library can be
// replaced without touching them. Verified against a fake Tap built from the library's own codecs,
// never against hardware (see the README section on the Tap).
import { createRequire } from 'node:module';
import type * as TapMain from '@iotize/tap';
import type * as TapClientImpl from '@iotize/tap/client/impl';
import type { Link } from '../protocols/links/link.js';
import { LinkTapProtocol, TapTransportError, type TapTransportOptions } from './tap-transport.js';
import { MinegateError } from '../core/minegate-error.js';

const require = createRequire(import.meta.url);
const tapLib = require('@iotize/tap') as typeof TapMain;
const clientImpl = require('@iotize/tap/client/impl') as typeof TapClientImpl;
// Side effect: registers tap.service.variable (the only service we use; 'service/all' loads ~20).
require('@iotize/tap/service/impl/variable');

/** What the gateway needs from a Tap board: named variables as raw bytes. */
export interface TapBoard {
  connect(): Promise<void>;
  readVariable(id: number): Promise<Uint8Array>;
  writeVariable(id: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * - not-connected:    a call before connect() or after close().
 * - timeout:          no reply in time (connect or request).
 * - link:             the link could not open or went down.
 * - status:           the Tap answered with a non-OK status (`status`, e.g. 0x84 not found, 0x81 unauthorized).
 * - invalid-argument: variable id or bytes out of range (nothing was sent).
 */
export type TapBoardErrorCode = 'not-connected' | 'timeout' | 'link' | 'status' | 'invalid-argument';

export class TapBoardError extends MinegateError<TapBoardErrorCode> {
  constructor(
    code: TapBoardErrorCode,
    message: string,
    readonly details: { variable?: number; status?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.name = 'TapBoardError';
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

export interface IotizeTapOptions extends Omit<TapTransportOptions, 'link'> {
  link: Link;
}

/** The variable service calls we use (the library declares them through module augmentation). */
interface VariableCalls {
  getValue(id: number): Promise<TapMain.TapResponse<Uint8Array>>;
  setValue(id: number, value: Uint8Array): Promise<TapMain.TapResponse<void>>;
}

export class IotizeTapBoard implements TapBoard {
  private readonly protocol: LinkTapProtocol;
  private readonly tap: TapMain.Tap;
  private connected = false;
  /** The last request timed out: its reply may still come and must not answer the next one. */
  private unsettled = false;

  constructor(options: IotizeTapOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`IotizeTapBoard options must be an object, got ${String(options)}`);
    this.protocol = new LinkTapProtocol(options);
    this.tap = tapLib.Tap.fromProtocol(this.protocol);
  }

  get description(): string {
    return this.protocol.link.description;
  }

  async connect(): Promise<void> {
    try {
      await this.tap.connect();
    } catch (err) {
      throw this.translate(err, undefined, 'connect');
    }
    this.connected = true;
  }

  async readVariable(id: number): Promise<Uint8Array> {
    checkId(id);
    const response = await this.call(id, 'read', (v) => v.getValue(id));
    return new Uint8Array(response.rawBody());
  }

  async writeVariable(id: number, bytes: Uint8Array): Promise<void> {
    checkId(id);
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > 240) {
      throw new TapBoardError('invalid-argument', `variable ${id}: write needs 1..240 bytes, got ${bytes instanceof Uint8Array ? bytes.length : String(bytes)}`, { variable: id });
    }
    await this.call(id, 'write', (v) => v.setValue(id, bytes));
  }

  async close(): Promise<void> {
    this.connected = false;
    try {
      await this.tap.disconnect();
    } catch {
      // Closing a link that already went down is not an error worth reporting.
    }
    await this.protocol.link.close();
  }

  private async call<T>(id: number, what: string, run: (v: VariableCalls) => Promise<TapMain.TapResponse<T>>): Promise<TapMain.TapResponse<T>> {
    if (!this.connected || !this.protocol.isConnected()) throw new TapBoardError('not-connected', `${this.description}: not connected (call connect() first)`, { variable: id });
    if (this.unsettled) {
      await this.protocol.settle(this.protocol.sendTimeoutMs);
      this.unsettled = false;
    }
    let response: TapMain.TapResponse<T>;
    try {
      response = await run((this.tap.service as unknown as { variable: VariableCalls }).variable);
    } catch (err) {
      const e = this.translate(err, id, what);
      if (e.code === 'timeout') this.unsettled = true;
      throw e;
    }
    if (!response.isSuccessful()) {
      const status = response.status;
      throw new TapBoardError('status', `${this.description}: ${what} variable ${id} refused: status 0x${status.toString(16)} (${clientImpl.tapResponseStatusToString(status)})`, { variable: id, status });
    }
    return response;
  }

  /** Library, transport and link errors → one typed error naming the board and the variable. */
  private translate(err: unknown, id: number | undefined, what: string): TapBoardError {
    const subject = id === undefined ? what : `${what} variable ${id}`;
    const chain: unknown[] = [];
    for (let e: unknown = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
    const code = (e: unknown): string | undefined => (e as { code?: unknown })?.code as string | undefined;
    const details = { ...(id === undefined ? {} : { variable: id }), cause: err };
    const message = (err as Error)?.message ?? String(err);
    if (chain.some((e) => code(e) === 'TimeoutError')) return new TapBoardError('timeout', `${this.description}: ${subject}: no reply in time (${message})`, details);
    if (chain.some((e) => e instanceof TapTransportError || (e as Error)?.name === 'LinkError')) return new TapBoardError('link', `${this.description}: ${subject}: ${message}`, details);
    if (chain.some((e) => code(e) === 'ProtocolNotConnected')) return new TapBoardError('not-connected', `${this.description}: ${subject}: not connected`, details);
    return new TapBoardError('link', `${this.description}: ${subject} failed: ${message}`, details);
  }
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new TapBoardError('invalid-argument', `variable id must be an integer 0..65535, got ${String(id)}`);
}
