// The platform's side of the command downlink: signs a command with the platform key and publishes
// it (QoS 1) to a substation's command topic. The demo's "platform" and the tests use it; a real
// platform does the same in its own software (signCommand + the topic layout in topics.ts).
import { randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { COMMAND_KINDS, signCommand, type Command, type CommandKind } from './downlink.js';
import { verifyBatch } from './integrity.js';
import type { CommandAck } from './streams/command-ack.js';
import { commandAckStream } from './streams/index.js';
import { parseJsonlBatch } from './streams/jsonl.js';
import { batchTopic, commandTopic, parseTopic } from './topics.js';
import type { TlsFiles } from './uplink.js';

export interface PlatformCommanderOptions {
  brokerUrl: string;
  /** The platform's Ed25519 private key (integrity.loadPrivateKey). */
  platformKey: KeyObject;
  clientId?: string;
  tls?: TlsFiles;
}

export const PLATFORM_COMMANDER_DEFAULTS = {
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
      expiresAt: issuedAt + (opts.lifetimeMs ?? PLATFORM_COMMANDER_DEFAULTS.lifetimeMs),
      nonce: randomBytes(16).toString('hex'),
    };
    const { payload, signature } = signCommand(command, this.o.platformKey);
    await new Promise<void>((resolve, reject) => {
      client.publish(commandTopic(mineCode, substation), payload, { qos: 1, properties: { userProperties: { signature } } }, (err) => (err ? reject(err) : resolve()));
    });
    return command;
  }

  /**
   * Signs and publishes a command, then waits for its outcome on the substation's CMDACK stream:
   * resolves with every ack seen for it once one is final (completed, failed, rejected), or when
   * `timeoutMs` passes (then the last ack is 'accepted' or there is none). With `substationKey`
   * only acks in batches that verify against it count.
   */
  async sendAndWait(
    mineCode: string,
    substation: string,
    kind: CommandKind,
    args: Record<string, unknown>,
    opts: { timeoutMs: number; substationKey?: KeyObject; lifetimeMs?: number },
  ): Promise<{ command: Command; acks: CommandAck[]; final: CommandAck | null }> {
    const client = this.client;
    if (!client) throw new Error('PlatformCommander: start() first');
    const topic = batchTopic(mineCode, substation, commandAckStream.type);
    const acks: CommandAck[] = [];
    // The id is fixed before sending: an ack may in theory arrive before our own PUBACK.
    const commandId = `cmd-${randomBytes(6).toString('hex')}`;
    let done: ((final: CommandAck | null) => void) | null = null;
    const finished = new Promise<CommandAck | null>((resolve) => (done = resolve));
    const onMessage = (t: string, payload: Buffer, packet: { properties?: { userProperties?: Record<string, string | string[]> } }): void => {
      if (t !== topic) return;
      const props = packet.properties?.userProperties ?? {};
      const p = (k: string): string => String(Array.isArray(props[k]) ? props[k]![0] : (props[k] ?? ''));
      if (opts.substationKey) {
        const where = parseTopic(t)!;
        const id = { mineCode: where.mineCode, substation: where.substation, stream: p('stream'), type: where.suffix, firstSeq: Number(p('firstSeq')), lastSeq: Number(p('lastSeq')), name: p('name') };
        if (!verifyBatch(id, payload, { prevHash: p('prevHash'), hash: p('hash'), signature: p('signature') }, opts.substationKey).ok) return;
      }
      let records: unknown[];
      try {
        records = parseJsonlBatch(payload).records;
      } catch {
        return;
      }
      for (const r of records as CommandAck[]) {
        if (r.commandId !== commandId || acks.some((a) => a.status === r.status)) continue; // re-sent batches repeat acks
        acks.push(r);
        if (r.status !== 'accepted') done?.(r);
      }
    };
    client.on('message', onMessage);
    try {
      // Subscribed before the command goes out, so its acks cannot be missed.
      await client.subscribeAsync(topic, { qos: 1 });
      const command = await this.send(mineCode, substation, kind, args, { id: commandId, ...(opts.lifetimeMs !== undefined ? { lifetimeMs: opts.lifetimeMs } : {}) });
      const timer = setTimeout(() => done?.(null), opts.timeoutMs);
      const final = await finished;
      clearTimeout(timer);
      return { command, acks, final };
    } finally {
      client.off('message', onMessage);
      await client.unsubscribeAsync(topic).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}
