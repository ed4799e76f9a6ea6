// The MQTT.js client options of one uplink connection: MQTT 5, a persistent session, and every
// mqtt.js convenience that would queue or re-send on its own switched off (the outbox is the only
// queue; see uplink.ts). TLS files are read here, at each connect, so a renewed certificate is
// picked up on the next reconnect.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions } from 'mqtt';
import { SyncError, messageOf } from './sync-error.js';
import type { ResolvedUplinkOptions, TlsFiles } from './uplink-options.js';

export interface UplinkCredentials {
  username: string | undefined;
  password: string | undefined;
}

/** Throws SyncError('bad-tls-file') when a TLS file cannot be read. */
export function uplinkClientOptions(o: ResolvedUplinkOptions, credentials: UplinkCredentials, tls: TlsFiles | undefined): IClientOptions {
  const opts: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId,
    clean: false,
    keepalive: o.keepaliveSec,
    connectTimeout: o.connectTimeoutMs,
    // We reconnect ourselves, with a fresh client, so mqtt.js never re-sends or queues anything.
    reconnectPeriod: 0,
    queueQoSZero: false,
    resubscribe: false,
    // The default provider wraps at 65535 without checking ids in use (libraries.md §6).
    messageIdProvider: new mqtt.UniqueMessageIdProvider(),
    properties: { sessionExpiryInterval: o.sessionExpirySec },
  };
  if (credentials.username !== undefined) opts.username = credentials.username;
  if (credentials.password !== undefined) opts.password = credentials.password;
  if (tls) {
    if (tls.caPath) opts.ca = readTlsFile(tls.caPath, 'caPath');
    if (tls.certPath) opts.cert = readTlsFile(tls.certPath, 'certPath');
    if (tls.keyPath) opts.key = readTlsFile(tls.keyPath, 'keyPath');
    opts.rejectUnauthorized = tls.rejectUnauthorized ?? true;
  }
  return opts;
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SyncError('bad-tls-file', `uplink tls.${what} ${path}: ${messageOf(err)}`, { cause: err });
  }
}
