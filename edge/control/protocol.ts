// The control protocol between the technician CLI and a running gateway: JSON lines over a Unix
// domain socket at <data-dir>/control.sock. One request per line, one response line per request,
// in order; a connection may carry several requests (the interlock test watches through one).
//   request:  { id, command, args, auth?: { user, password } }
//   response: { id, ok: true, result } | { id, ok: false, error: { code, message } }
import { join, resolve } from 'node:path';
import { ControlError } from './errors.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

export const CONTROL_PROTOCOL_DEFAULTS = {
  /** A line longer than this is not a request: the connection is closed. */
  maxLineBytes: 64 * 1024,
  /** sun_path is 108 bytes on Linux, including the terminating NUL. */
  maxSocketPathBytes: 107,
} as const;

export interface ControlAuth {
  user: string;
  password: string;
}

export interface ControlRequest {
  id: number | string;
  command: string;
  args: Record<string, unknown>;
  auth?: ControlAuth;
}

export interface ControlFailure {
  code: string;
  message: string;
}

export type ControlResponse = { id: number | string | null; ok: true; result: unknown } | { id: number | string | null; ok: false; error: ControlFailure };

/** Absolute path of the control socket of a data dir; throws SOCKET_PATH_TOO_LONG when it cannot be bound. */
export function controlSocketPath(dataDir: string): string {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new TypeError(`controlSocketPath: dataDir must be a directory path, got ${JSON.stringify(dataDir)}`);
  const path = join(resolve(dataDir), CONTROL_SOCKET_NAME);
  if (Buffer.byteLength(path) > CONTROL_PROTOCOL_DEFAULTS.maxSocketPathBytes) {
    throw new ControlError(
      'SOCKET_PATH_TOO_LONG',
      `control socket path ${path} is ${Buffer.byteLength(path)} bytes; Unix sockets allow ${CONTROL_PROTOCOL_DEFAULTS.maxSocketPathBytes}: use a shorter --data-dir`,
    );
  }
  return path;
}

/** Parse one request line; throws ControlError BAD_REQUEST naming what is wrong. */
export function parseRequest(line: string): ControlRequest {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new ControlError('BAD_REQUEST', `request is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(data)) throw new ControlError('BAD_REQUEST', 'request must be a JSON object');
  const { id, command, args, auth } = data;
  if (typeof id !== 'number' && typeof id !== 'string') throw new ControlError('BAD_REQUEST', `request id must be a number or string, got ${JSON.stringify(id)}`);
  if (typeof command !== 'string' || command === '') throw new ControlError('BAD_REQUEST', `request command must be a non-empty string, got ${JSON.stringify(command)}`);
  if (args !== undefined && !isObject(args)) throw new ControlError('BAD_REQUEST', 'request args must be an object');
  const request: ControlRequest = { id, command, args: (args as Record<string, unknown> | undefined) ?? {} };
  if (auth !== undefined) {
    if (!isObject(auth) || typeof auth.user !== 'string' || typeof auth.password !== 'string') {
      throw new ControlError('BAD_REQUEST', 'request auth must be { user, password } strings');
    }
    request.auth = { user: auth.user, password: auth.password };
  }
  return request;
}

/** Parse one response line; throws ControlError BAD_RESPONSE. */
export function parseResponse(line: string): ControlResponse {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new ControlError('BAD_RESPONSE', `gateway answer is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(data) || typeof data.ok !== 'boolean') throw new ControlError('BAD_RESPONSE', 'gateway answer has no ok field');
  const id = typeof data.id === 'number' || typeof data.id === 'string' ? data.id : null;
  if (data.ok) return { id, ok: true, result: data.result };
  const error = data.error;
  if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') throw new ControlError('BAD_RESPONSE', 'gateway error answer has no { code, message }');
  return { id, ok: false, error: { code: error.code, message: error.message } };
}

/** Split a byte stream into lines; calls onLine per complete line, onOverflow when a line is too long. */
export class LineSplitter {
  private buffered = '';
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly maxBytes: number = CONTROL_PROTOCOL_DEFAULTS.maxLineBytes,
  ) {}

  push(chunk: Buffer | string): void {
    this.buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line !== '') this.onLine(line);
    }
    if (this.buffered.length > this.maxBytes) {
      this.buffered = '';
      this.onOverflow();
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
