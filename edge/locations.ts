// Where the gateway's config and data live when nobody says: the installed locations
// (deploy/INSTALL.md) when they exist, else ./data next to the checkout; MINEGATE_CONFIG and
// MINEGATE_DATA_DIR override the defaults, -c / -d override everything. One place for all commands,
// so `minegate status` on an installed box needs no options at all, and `doctor` can say which
// location was used and why.
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';

export const LOCATIONS = {
  installedConfig: '/etc/minegate/minegate.yaml',
  installedDataDir: '/var/lib/minegate',
  checkoutDataDir: './data',
  demoDataDir: './data/demo',
  configEnv: 'MINEGATE_CONFIG',
  dataDirEnv: 'MINEGATE_DATA_DIR',
} as const;

/** -d/--data-dir: MINEGATE_DATA_DIR, else /var/lib/minegate when installed, else ./data. */
export function dataDirOption(description = 'gateway data directory'): Option {
  const installed = existsSync(LOCATIONS.installedDataDir);
  return new Option('-d, --data-dir <dir>', `${description} (default: $${LOCATIONS.dataDirEnv}, else ${LOCATIONS.installedDataDir} when installed, else ${LOCATIONS.checkoutDataDir})`)
    .env(LOCATIONS.dataDirEnv)
    .default(installed ? LOCATIONS.installedDataDir : LOCATIONS.checkoutDataDir);
}

/** -c/--config: MINEGATE_CONFIG, else /etc/minegate/minegate.yaml when installed; required when neither. */
export function configOption(description = 'substation board config (YAML)'): Option {
  const opt = new Option('-c, --config <file>', `${description} (default: $${LOCATIONS.configEnv}, else ${LOCATIONS.installedConfig} when installed)`).env(LOCATIONS.configEnv);
  if (existsSync(LOCATIONS.installedConfig)) opt.default(LOCATIONS.installedConfig);
  return opt.makeOptionMandatory();
}

/** "from -d", "from MINEGATE_DATA_DIR", "installed default" …: which rule chose an option's value. */
export function locationSource(cmd: Command, option: 'config' | 'dataDir'): string {
  const source = cmd.getOptionValueSource(option);
  const env = option === 'config' ? LOCATIONS.configEnv : LOCATIONS.dataDirEnv;
  if (source === 'cli') return option === 'config' ? 'from -c' : 'from -d';
  if (source === 'env') return `from ${env}`;
  const value = cmd.getOptionValue(option) as string | undefined;
  if (value === LOCATIONS.installedConfig || value === LOCATIONS.installedDataDir) return 'installed default';
  return 'default';
}
