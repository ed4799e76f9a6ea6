// `minegate platform command <cut|release|evacuate|stand-down|time-sync>`: the platform's side of
// the downlink as a tool: signs a command with the platform key, publishes it to one substation's
// command topic and waits for the substation's outcome on its CMDACK stream (accepted, then
// completed / failed, or rejected with the reason). For commissioning, drills and a platform
// without its own command software; the library behind it is sync/platform-commander.ts.
import type { Command } from 'commander';
import { loadPrivateKey, loadPublicKey } from '../../sync/integrity.js';
import { PlatformCommander } from '../../sync/platform-commander.js';
import type { CommandKind } from '../../sync/downlink.js';
import { printJson, UsageError } from '../control/cli-support.js';
import { EXIT, fail, out } from './output.js';

export const PLATFORM_ACTIONS = ['cut', 'release', 'evacuate', 'stand-down', 'time-sync'] as const;
type Action = (typeof PLATFORM_ACTIONS)[number];

interface PlatformCommandOptions {
  broker: string;
  key: string;
  mine: string;
  substation: string;
  substationKey?: string;
  zones?: string;
  areas?: string;
  cutId?: string;
  durationMin?: number;
  reason?: string;
  operator?: string;
  timeout: number;
  ca?: string;
  json?: boolean;
}

const list = (v: string | undefined, what: string): string[] => {
  const items = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what} is required (comma-separated)`);
  return items;
};

/** The downlink kind and args of an action (sync/README.md "Commands"). */
export function commandOf(action: Action, o: PlatformCommandOptions, now: number): { kind: CommandKind; args: Record<string, unknown> } {
  switch (action) {
    case 'cut':
      return {
        kind: 'cutoff',
        args: {
          zones: list(o.zones, '--zones'),
          ...(o.durationMin !== undefined ? { durationMs: Math.round(o.durationMin * 60_000) } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
          ...(o.operator ? { operator: o.operator } : {}),
        },
      };
    case 'release':
      if (!o.cutId) throw new UsageError('--cut-id is required (the id in the cut command\'s completed ack)');
      return { kind: 'cutoff', args: { action: 'release', cutId: o.cutId, ...(o.operator ? { operator: o.operator } : {}) } };
    case 'evacuate':
      return { kind: 'evacuate', args: { areas: list(o.areas, '--areas'), ...(o.reason ? { reason: o.reason } : {}) } };
    case 'stand-down':
      return { kind: 'evacuate', args: { action: 'stand-down' } };
    case 'time-sync':
      return { kind: 'time-sync', args: { platformTime: now } };
  }
}

export function registerPlatform(program: Command): void {
  const platform = program.command('platform').description("the platform's side: signed commands to a substation");
  platform
    .command('command')
    .description('sign a command with the platform key, send it to one substation and wait for its ack')
    .argument('<action>', PLATFORM_ACTIONS.join(' | '))
    .requiredOption('--broker <url>', 'the broker the substation uses, e.g. mqtts://platform:8883')
    .requiredOption('--key <file>', "the platform's private key (platform.key.pem)")
    .requiredOption('--mine <code>', '12-digit mine code')
    .requiredOption('--substation <code>', 'substation code')
    .option('--substation-key <file>', "the substation's public key: count only acks it signed")
    .option('--zones <list>', 'cut: zones to cut, comma-separated')
    .option('--areas <list>', 'evacuate: personnel areas, comma-separated')
    .option('--cut-id <id>', 'release: the remote cut to release')
    .option('--duration-min <minutes>', 'cut: how long it holds', Number)
    .option('--reason <text>', 'cut / evacuate: why')
    .option('--operator <name>', 'who orders it (recorded with the cut)')
    .option('--timeout <seconds>', 'how long to wait for the final ack', Number, 30)
    .option('--ca <file>', 'CA bundle of the broker (mqtts)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  minegate platform command cut --broker mqtts://platform:8883 --ca ca.pem --key platform.key.pem --mine 140212000001 --substation S01 --zones heading --reason 瓦斯超限 --operator dispatch-1
  minegate platform command stand-down --broker mqtt://127.0.0.1:1883 --key platform.key.pem --mine 140212000001 --substation S01\n
Exit codes: 0 completed, 1 rejected / failed / no final ack in time, 2 bad usage.`,
    )
    .action(async (action: string, o: PlatformCommandOptions) => {
      let commander: PlatformCommander | undefined;
      try {
        if (!(PLATFORM_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`action must be one of ${PLATFORM_ACTIONS.join(', ')}, got "${action}"`);
        if (!/^\d{12}$/.test(o.mine)) throw new UsageError(`--mine must be the 12-digit mine code, got "${o.mine}"`);
        if (!(o.timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${String(o.timeout)}`);
        const { kind, args } = commandOf(action as Action, o, Date.now());
        const substationKey = o.substationKey ? loadPublicKey(o.substationKey) : undefined;
        commander = new PlatformCommander({ brokerUrl: o.broker, platformKey: loadPrivateKey(o.key), ...(o.ca ? { tls: { caPath: o.ca } } : {}) });
        await commander.start();
        const r = await commander.sendAndWait(o.mine, o.substation, kind, args, { timeoutMs: o.timeout * 1000, ...(substationKey ? { substationKey } : {}) });
        if (o.json) printJson({ command: r.command, acks: r.acks, final: r.final });
        else {
          out(`sent ${r.command.kind} ${r.command.id} to ${o.mine}/${o.substation}`);
          for (const a of r.acks) out(`  ${a.status}${a.reason ? `: ${a.reason}` : ''}${a.result !== null && a.result !== undefined ? ` ${JSON.stringify(a.result)}` : ''}`);
          if (!r.final) out(`  no final ack within ${o.timeout} s${r.acks.length === 0 ? ' (is the substation connected?)' : ''}`);
        }
        if (r.final?.status !== 'completed') process.exitCode = EXIT.failed;
      } catch (err) {
        if (err instanceof UsageError) return fail('platform command', err.message, EXIT.usage);
        fail('platform command', (err as Error).message);
      } finally {
        await commander?.stop();
      }
    });
}
