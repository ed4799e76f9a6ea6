// A small heading substation with upstream sync, end to end over real wires: simulated methane
// sensors behind Modbus TCP, a relay module and the heading's feed sensor behind an RTU-over-TCP
// converter (the feed follows its coil like a contactor), the real Gateway with the sync
// capability, a real Mosquitto, the reference receiver ("the platform") and a platform commander
// that signs commands. Tests assert what the field and the platform see. Not a test file itself.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../../edge/config/load-config.js';
import { Gateway } from '../../../edge/gateway.js';
import { createLogger } from '../../../edge/log.js';
import { parseScenario } from '../../../simulator/scenario.js';
import { SubstationSimulator } from '../../../simulator/substation-sim.js';
import type { ProfileDevice } from '../../../simulator/virtual-device.js';
import { generateKeyPair, loadPublicKey } from '../../../sync/integrity.js';
import { PlatformCommander } from '../../../sync/platform-commander.js';
import { Receiver, type AcceptedBatch } from '../../../sync/receiver.js';
import { SyncCapability, type UpstreamStatusJson } from '../../../sync/sync-capability.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';

export const RIG_MINE = '140212000001';
export const RIG_SUBSTATION = 'S01';
/** Configured point codes, in config order. */
export const RIG_POINTS = ['T1', 'T2', 'FEED-H'] as const;
/** Relay-module coil of the heading's power. */
export const HEADING_COIL = 0;

const SCENARIO = `
name: sync-rig
buses:
  - id: field
    listen: { type: tcp, host: 127.0.0.1, port: 0 }
    devices:
      - { unit: 1, profile: methane-sensor, description: T1 heading face, initial: { value: 0.3 } }
      - { unit: 2, profile: methane-sensor, description: T2 heading return, initial: { value: 0.3 } }
  - id: relay
    listen: { type: rtu-over-tcp, host: 127.0.0.1, port: 0 }
    baudRate: 115200
    devices:
      - { unit: 1, profile: relay-module, initial: { coil0: true } }
      - { unit: 2, profile: feed-sensor, description: load side of heading power, follows: { unit: 1, channel: coil0, delayMs: 100 } }
`;

export interface SyncRigOptions {
  /** Also drop every MT/T file into <data-dir>/<fileDropDir> (the FTP host's pickup directory). */
  fileDropDir?: string;
}

function configText(ports: { field: number; relay: number }, brokerUrl: string, o: SyncRigOptions): string {
  return `
mine: { code: "${RIG_MINE}", name: 示范煤矿 }
substation: { code: ${RIG_SUBSTATION}, name: sync rig heading }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: ${ports.field}, responseTimeoutMs: 300 }
  - { id: relay, type: rtu-over-tcp, host: 127.0.0.1, port: ${ports.relay}, baudRate: 115200, responseTimeoutMs: 300 }
devices:
  - { id: ch4-t1, bus: field, unit: 1, profile: methane-sensor, pollMs: 200, alarmPollMs: 100 }
  - { id: ch4-t2, bus: field, unit: 2, profile: methane-sensor, pollMs: 200, alarmPollMs: 100 }
  - { id: relay-1, bus: relay, unit: 1, profile: relay-module, pollMs: 300 }
  - { id: feed-h, bus: relay, unit: 2, profile: feed-sensor, pollMs: 200 }
points:
  - { code: T1, sensorType: "0001", device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 3101掘进工作面, role: heading.T1, zones: [heading] }
  - { code: T2, sensorType: "0001", device: ch4-t2, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 3101回风流, role: heading.T2, zones: [heading] }
  - { code: FEED-H, sensorType: "1011", device: feed-h, channel: state, unit: "", range: { low: 0, high: 1 }, location: 3101馈电 }
zones:
  - { id: heading, name: heading non-IS power, outputs: [heading-power] }
outputs:
  - { id: heading-power, device: relay-1, channel: coil0, kind: power, feedPoint: FEED-H }
safety:
  startupGraceMs: 2000
  feedTimeoutMs: 1000
  remoteCut: { authorities: [platform, dispatch] }
sync:
  brokerUrl: "${brokerUrl}"
  snapshots: { cdssMs: 1000, fzssMs: 1000 }${o.fileDropDir ? `
  fileDropDir: ${o.fileDropDir}` : ''}
`;
}

export class SyncRig {
  gateway!: Gateway;
  sync!: SyncCapability;
  readonly batches: AcceptedBatch[] = [];

  private constructor(
    readonly sim: SubstationSimulator,
    readonly broker: Mosquitto,
    readonly receiver: Receiver,
    readonly commander: PlatformCommander,
    readonly dataDir: string,
    public configYaml: string,
  ) {
    receiver.on('batch', (b) => this.batches.push(b));
  }

  static async start(opts: SyncRigOptions = {}): Promise<SyncRig> {
    const sim = new SubstationSimulator(parseScenario(SCENARIO, 'sync-rig.yaml'));
    const dataDir = mkdtempSync(join(tmpdir(), 'minegate-sync-rig-'));
    let broker: Mosquitto | undefined;
    let receiver: Receiver | undefined;
    let commander: PlatformCommander | undefined;
    try {
      const endpoints = await sim.start({ paused: true });
      const port = (id: string) => endpoints.find((e) => e.id === id)!.port!;
      broker = await startMosquitto();
      // The substation's key as `minegate keys generate` makes it; the platform's public key beside it.
      const substation = generateKeyPair(join(dataDir, 'keys'), { name: 'substation' });
      const platform = generateKeyPairSync('ed25519');
      mkdirSync(join(dataDir, 'keys'), { recursive: true });
      writeFileSync(join(dataDir, 'keys', 'platform.pub.pem'), platform.publicKey.export({ type: 'spki', format: 'pem' }));
      // The platform's private key as a file too, for `minegate platform command --key`.
      mkdirSync(join(dataDir, 'platform-keys'), { recursive: true });
      writeFileSync(join(dataDir, 'platform-keys', 'platform.key.pem'), platform.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      receiver = new Receiver({ brokerUrl: broker.url, publicKey: loadPublicKey(substation.publicKeyPath), outDir: join(dataDir, 'platform'), clientId: `rig-platform-${randomBytes(4).toString('hex')}`, receiptKey: platform.privateKey as KeyObject, stateFile: join(dataDir, 'platform-ledger.db') });
      await receiver.start();
      commander = new PlatformCommander({ brokerUrl: broker.url, platformKey: platform.privateKey as KeyObject });
      await commander.start();
      const rig = new SyncRig(sim, broker, receiver, commander, dataDir, configText({ field: port('field'), relay: port('relay') }, broker.url, opts));
      await rig.startGateway();
      return rig;
    } catch (err) {
      await commander?.stop();
      await receiver?.stop();
      await broker?.close();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The platform's private key file (what `minegate platform command --key` takes). */
  get platformKeyFile(): string {
    return join(this.dataDir, 'platform-keys', 'platform.key.pem');
  }

  async startGateway(): Promise<void> {
    const loaded = parseConfigText(this.configYaml, join(this.dataDir, 'sync-rig.yaml'));
    this.sync = new SyncCapability({ statsCheckMs: 1000 });
    this.gateway = new Gateway(loaded, { dataDir: this.dataDir, logger: createLogger({}), poller: { retryBackoffMs: 50, probeMs: 500 }, capabilities: [this.sync] });
    await this.gateway.start();
  }

  async close(): Promise<void> {
    await this.gateway?.stop();
    await this.commander.stop();
    await this.receiver.stop();
    await this.broker.close();
    await this.sim.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  // ---- the field ----

  field(unit: number): ProfileDevice {
    return this.sim.device('field', unit);
  }

  coil(n: number): boolean {
    return Boolean(this.sim.device('relay', 1).get(`coil${n}`));
  }

  async waitCoil(n: number, on: boolean, timeoutMs = 8000): Promise<void> {
    await waitFor(() => this.coil(n) === on, { timeoutMs, intervalMs: 10, what: `relay coil${n} ${on ? 'on' : 'off'}` });
  }

  /** Past the start-up cut: no hold on any output and the heading powered (the startup hold cuts first). */
  async waitRunning(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.gateway.safety.engine.holds().length === 0 && this.coil(HEADING_COIL), { timeoutMs, intervalMs: 10, what: 'normal running (no holds, heading powered)' });
  }

  // ---- upstream ----

  upstream(): UpstreamStatusJson {
    return this.sync.statusJson();
  }

  /** Accepted batches of one stream (cdss, ycbj, cmdack …), in arrival order. */
  stream(name: string): AcceptedBatch[] {
    return this.batches.filter((b) => b.streamName === name);
  }

  /** The receiver's key for a stream of this substation (for received() and gaps()). */
  streamKey(name: string): string {
    return `${RIG_MINE}/${RIG_SUBSTATION}/${name}`;
  }

  async waitBatch(stream: string, match: (b: AcceptedBatch) => boolean, what: string, timeoutMs = 10_000): Promise<AcceptedBatch> {
    return waitFor(() => this.stream(stream).find(match), { timeoutMs, intervalMs: 20, what });
  }

  async sendCommand(kind: Parameters<PlatformCommander['send']>[2], args: Record<string, unknown>): Promise<string> {
    const cmd = await this.commander.send(RIG_MINE, RIG_SUBSTATION, kind, args);
    return cmd.id;
  }
}
