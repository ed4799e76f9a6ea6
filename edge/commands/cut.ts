// `minegate cut <zone>` (异地断电) and `minegate cut release <id>`, through the running gateway's
// interlock engine. Only the authority that ordered a cut may release it: the engine enforces it
// and its refusal is shown as it is.
import type { Command } from 'commander';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, requireText, withGateway } from '../control/cli-support.js';
import { formatWall, parseDuration } from '../control/durations.js';
import type { RemoteCutResult, RemoteReleaseResult } from '../control/remote-cut.js';
import { out } from './output.js';

interface CutOptions extends CommonOptions {
  reason?: string;
  expires?: string;
  authority?: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

export function registerCut(program: Command): void {
  const cut = addDataDir(
    program
      .command('cut')
      .description('remote cut (异地断电) of a zone through the running gateway; it expires on its own')
      .argument('<zone>', 'zone id from the board config (e.g. heading-3101)')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--expires <duration>', 'how long it holds before it expires by itself: 30m, 2h, 1d')
      .option('--authority <name>', 'who orders it (e.g. dispatch); only the same authority may release it', 'local')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate cut heading-3101 --user zhang --reason "gas drainage work in the return" --expires 2h -d /var/lib/minegate
  minegate cut heading-3101 --user zhang --authority dispatch --reason "dispatch order 17" --expires 30m
  minegate cut release cut-20260110-080000-3fa2 --user chief --authority dispatch --reason "work finished"\n${AUTH_HELP}`,
    )
    .action(async (zone: string, o: CutOptions) => {
      await withGateway('cut', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"gas drainage work"');
        const durationMs = parseDuration(requireText(o.expires, '--expires', '2h'));
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<RemoteCutResult>('cut', { zone, reason, durationMs, authority: o.authority }, { auth, timeoutMs: REQUEST_TIMEOUT_MS });
        if (o.json) return printJson(r);
        out(`remote cut ${r.id} placed on ${r.zone} (${r.outputs.join(', ')}) under authority ${r.authority}; expires ${formatWall(r.expiresWall)}`);
        out(r.confirmed ? 'relay module confirmed: power cut' : 'WARNING: the relay module has not confirmed the cut yet: check `minegate status`');
        out(`release with: minegate cut release ${r.id} --user <safety officer> --authority ${r.authority} --reason "<why>"`);
        if (!r.confirmed) process.exitCode = 1;
      });
    });

  cut
    .command('release')
    .description('release a remote cut (safety officer; the authority that ordered it)')
    .argument('<id>', 'remote cut id (shown by `minegate cut` and `minegate status`)')
    .option('-u, --user <name>', 'acting safety officer')
    .option('--reason <text>', 'why (recorded with your name)')
    .option('--authority <name>', 'the authority that ordered the cut', 'local')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExample:\n  minegate cut release cut-20260110-080000-3fa2 --user chief --authority dispatch --reason "work finished" -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (id: string, _o: unknown, cmd: Command) => {
      // The parent `cut` parses -d/--user/--reason/--authority too: take the merged values.
      const o = cmd.optsWithGlobals<CutOptions>();
      await withGateway('cut release', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"work finished"');
        const auth = await credentials(o.user, 'safety-officer');
        const r = await client.request<RemoteReleaseResult>('cut.release', { id, reason, authority: o.authority }, { auth, timeoutMs: REQUEST_TIMEOUT_MS });
        if (o.json) return printJson(r);
        out(`remote cut ${r.id} released (${r.outputs.join(', ')})`);
        const held = Object.entries(r.stillHeld);
        if (held.length > 0) for (const [output, holds] of held) out(`${output} stays cut: still held by ${holds.join(', ')}`);
        else out(r.confirmed ? 'relay module confirmed: power permitted again' : 'the relay module has not confirmed yet: check `minegate status`');
      });
    });
}
