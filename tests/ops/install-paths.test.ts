// The installed box must need no -c / -d (issue 14, item 3): INSTALL.md and the systemd unit put the
// config and data exactly where the commands look by default (edge/locations.ts). Before, INSTALL
// and the unit used /etc/minegate/substation.yaml while the default was /etc/minegate/minegate.yaml,
// so `minegate reload` or `doctor` on an installed box failed asking for -c. Also: no sudo assumed
// (a minimal Debian has none), and the unit passes `systemd-analyze verify`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCATIONS } from '../../edge/locations.js';
import { repoRoot } from '../helpers/built.js';

const install = readFileSync(join(repoRoot, 'deploy/INSTALL.md'), 'utf8');
const unitFile = join(repoRoot, 'deploy/systemd/minegate.service');
const unit = readFileSync(unitFile, 'utf8');

/** The shell lines of INSTALL.md's ```sh blocks, comments dropped. */
const commands = [...install.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));

describe('installed locations: INSTALL.md, the unit and the command defaults agree', () => {
  it('the unit runs the default config and data dir, and INSTALL.md installs the config there', () => {
    expect(unit).toMatch(new RegExp(`ExecStartPre=.* config check ${LOCATIONS.installedConfig}\\n`));
    expect(unit).toMatch(new RegExp(`ExecStart=.* run --config ${LOCATIONS.installedConfig} --data-dir ${LOCATIONS.installedDataDir} `));
    expect(commands).toContain(`cp /opt/minegate/board-configs/examples/rtu-serial-substation.yaml ${LOCATIONS.installedConfig}`);
    // Every config path INSTALL.md names is the default one.
    const named = new Set([...install.matchAll(/\/etc\/minegate\/[\w.-]+\.yaml/g)].map((m) => m[0]));
    expect([...named]).toEqual([LOCATIONS.installedConfig]);
  });

  it('no INSTALL.md command needs sudo, and the unit finds Node on PATH', () => {
    expect(commands.filter((l) => /(^|[;&|]\s*)sudo(edit)?\s/.test(l))).toEqual([]);
    expect(unit).toMatch(/^Environment=PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
    expect(unit).not.toMatch(/Exec\w*=\/usr\/bin\/node /);
  });

  it('npm start runs Node with the memory flags and environment the unit runs the gateway with', () => {
    // `npm run bench -- rss` measures each as started; a flag added to one only would make the demo
    // figure say nothing about the installed gateway (issue 11).
    const start = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const launch = start.split('&&').at(-1)!.trim();
    const unitFlags = /^ExecStart=\/usr\/bin\/env node ((?:--\S+ )*)\/opt\/minegate\/dist\/edge\/cli\.js run /m.exec(unit)?.[1];
    const unitEnv = [...unit.matchAll(/^Environment=(MALLOC_\w+=\S+)$/gm)].map((m) => m[1]!);
    expect(unitFlags).toMatch(/--max-semi-space-size=\d+ /);
    expect(unitEnv).not.toEqual([]);
    expect(launch).toBe(`${unitEnv.join(' ')} node ${unitFlags}dist/edge/cli.js demo`);
  });

  it('systemd-analyze verify accepts the unit', () => {
    // Throws (with systemd's complaint in the message) on a non-zero exit.
    execFileSync('systemd-analyze', ['verify', unitFile], { stdio: 'pipe' });
  });
});
