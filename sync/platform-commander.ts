// The platform's side of the command downlink: signs a command with the platform key and publishes
// it (QoS 1) to a substation's command topic. The demo's "platform" and the tests use it; a real
// platform does the same in its own software (signCommand + the topic layout in topics.ts).
import { randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { COMMAND_KINDS, signCommand, type Command, type CommandKind } from './downlink.js';
import { commandTopic } from './topics.js';
import type { TlsFiles } from './uplink.js';

export interface PlatformCommanderOptions {
  brokerUrl: string;
  /** The platform's Ed25519 private key (integrity.loadPrivateKey). */
  platformKey: KeyObject;
  clientId?: string;
  tls?: TlsFiles;
}

export const platformCommanderDefaults = {
  /** Commands are valid this long (the downlink refuses more than 1 h). */
  lifetimeMs: 120_000,
} as const;

export class PlatformCommander {
  private client: MqttClient | null = null;

  constructor(private readonly o: PlatformCommanderOptions) {
    if (!o || typeof o !== 'object') throw new TypeError(`PlatformCommander: options must be an object, got ${String(o)}`);
    if (typeof o.brokerUrl !== 'string' || !/^(mqtts?|tcp|ssl):\/\//.test(o.brokerUrl)) throw new TypeError(`PlatformCommander: brokerUrl must look like mqtt://host:port, got ${JSON.stringify(o.brokerUrl)}`);
    if (!o.platformKey || o.platformKey.asymmetricKeyType !== 'ed25519' || o.platformKey.type !== 'private') {
      throw new TypeError('PlatformCommander: platformKey must be the platform Ed25519 private KeyObject');
    }
  }

  async start(): Promise<void> {
    const opts: IClientOptions = {
      protocolVersion: 5,
      clientId: this.o.clientId ?? `minegate-platform-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 500,
    };
    if (this.o.tls?.caPath) opts.ca = readFileSync(this.o.tls.caPath);
    if (this.o.tls?.certPath) opts.cert = readFileSync(this.o.tls.certPath);
    if (this.o.tls?.keyPath) opts.key = readFileSync(this.o.tls.keyPath);
    const client = mqtt.connect(this.o.brokerUrl, opts);
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  /** Signs and publishes one command; resolves with it once the broker acknowledged it. */
  async send(mineCode: string, substation: string, kind: CommandKind, args: Record<string, unknown>, opts: { id?: string; lifetimeMs?: number; now?: number } = {}): Promise<Command> {
    const client = this.client;
    if (!client) throw new Error('PlatformCommander: start() first');
    if (!COMMAND_KINDS.includes(kind)) throw new TypeError(`PlatformCommander: unknown kind ${JSON.stringify(kind)}`);
    const issuedAt = opts.now ?? Date.now();
    const command: Command = {
      id: opts.id ?? `cmd-${randomBytes(6).toString('hex')}`,
      kind,
      args,
      issuedAt,
      expiresAt: issuedAt + (opts.lifetimeMs ?? platformCommanderDefaults.lifetimeMs),
      nonce: randomBytes(16).toString('hex'),
    };
    const { payload, signature } = signCommand(command, this.o.platformKey);
    await new Promise<void>((resolve, reject) => {
      client.publish(commandTopic(mineCode, substation), payload, { qos: 1, properties: { userProperties: { signature } } }, (err) => (err ? reject(err) : resolve()));
    });
    return command;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}
