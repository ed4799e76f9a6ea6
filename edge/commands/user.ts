// `minegate user add|list|passwd|remove`: local operator accounts (<data-dir>/operators.json).
// The acting operator is --user <name>, password from MINEGATE_PASSWORD or a terminal prompt;
// a new password comes from MINEGATE_NEW_PASSWORD or is typed twice.
import type { Command } from 'commander';
import { NEW_PASSWORD_ENV, newPassword, PASSWORD_ENV } from '../operators/cli-credentials.js';
import { guard } from '../operators/cli-guard.js';
import { openCliSession, sessionWithoutLogin } from '../operators/cli-session.js';
import { OperatorStore, validateNewPassword, validateOperatorName } from '../operators/operator-store.js';
import { isRole, ROLES, type Role } from '../operators/roles.js';
import { renderTable } from '../text-table.js';
import { EXIT, fail, out } from './output.js';
import { dataDirOption } from '../locations.js';


interface CommonOptions {
  dataDir: string;
  user?: string;
}

const AUTH_HELP = `
Authentication: --user <name>; the password is read from ${PASSWORD_ENV} when set (scripts),
otherwise asked for on the terminal (no echo). New passwords come from ${NEW_PASSWORD_ENV}, or are
typed twice. Accounts live in <data-dir>/operators.json (mode 0600, scrypt hashes).`;

export function registerUser(program: Command): void {
  const user = program.command('user').description('operator accounts: viewer < technician < safety-officer');
  registerUserAdd(user);
  registerUserList(user);
  registerUserPasswd(user);
  registerUserRemove(user);
}

function registerUserAdd(user: Command): void {
  user
    .command('add')
    .description('add an operator account (the first must be a safety officer; later ones need a safety officer)')
    .argument('<name>', 'account name: lower-case letters, digits, . _ -')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('-u, --user <name>', 'acting safety officer (not needed for the very first account)')
    .addOption(dataDirOption('gateway data directory'))
    .option('--reason <text>', 'why (recorded in the audit log)')
    .addHelpText('after', `\nExamples:\n  MINEGATE_NEW_PASSWORD=... minegate user add chief --role safety-officer -d /var/lib/minegate\n  minegate user add zhang --role technician --user chief -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (name: string, o: CommonOptions & { role: string; reason?: string }) => {
      await guard('user add', async () => {
        if (!isRole(o.role)) return fail('user add', `--role must be one of ${ROLES.join(', ')}, got "${o.role}"`, EXIT.usage);
        validateOperatorName(name);
        const store = new OperatorStore(o.dataDir);
        const first = store.list().length === 0;
        const session = first ? null : await openCliSession(o.dataDir, o.user, 'safety-officer', `user add ${name}`);
        try {
          const password = validateNewPassword(await newPassword(name));
          const added = await store.add(name, o.role as Role, password, session?.operator ?? null);
          const audit = session ?? sessionWithoutLogin(o.dataDir, { name: added.name, role: added.role });
          try {
            audit.record({ action: 'operator-change', target: `operator:${name}`, outcome: 'ok', after: { role: added.role }, detail: first ? 'first account' : 'added', ...(o.reason ? { reason: o.reason } : {}) });
          } finally {
            if (!session) audit.close();
          }
          out(`added ${name} (${added.role})${first ? ' — the first account; it can now add the others' : ''}`);
        } finally {
          session?.close();
        }
      });
    });
}

function registerUserList(user: Command): void {
  user
    .command('list')
    .description('list operator accounts (names and roles; never hashes)')
    .addOption(dataDirOption('gateway data directory'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { json?: boolean }) => {
      await guard('user list', async () => {
        const list = new OperatorStore(o.dataDir).list();
        if (o.json) return out(JSON.stringify(list));
        if (list.length === 0) return out(`no operator accounts in ${o.dataDir}; create the first with: minegate user add <name> --role safety-officer`);
        out(renderTable(
          [{ header: 'name' }, { header: 'role' }, { header: 'created' }, { header: 'by' }, { header: 'password changed' }],
          list.map((u) => [u.name, u.role, u.createdAt, u.createdBy ?? '—', u.passwordChangedAt]),
        ));
      });
    });
}

function registerUserPasswd(user: Command): void {
  user
    .command('passwd')
    .description("change a password: your own, or anyone's as a safety officer")
    .argument('<name>', 'account whose password changes')
    .option('-u, --user <name>', 'acting operator (default: <name> itself, with its current password)')
    .addOption(dataDirOption('gateway data directory'))
    .addHelpText('after', `\nExample:\n  minegate user passwd zhang -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (name: string, o: CommonOptions) => {
      await guard('user passwd', async () => {
        const actorName = o.user ?? name;
        const session = await openCliSession(o.dataDir, actorName, actorName === name ? 'viewer' : 'safety-officer', `user passwd ${name}`);
        try {
          await new OperatorStore(o.dataDir).setPassword(name, validateNewPassword(await newPassword(name)), session.operator);
          session.record({ action: 'operator-change', target: `operator:${name}`, outcome: 'ok', detail: 'password changed' });
          out(`password of ${name} changed`);
        } finally {
          session.close();
        }
      });
    });
}

function registerUserRemove(user: Command): void {
  user
    .command('remove')
    .description('remove an operator account (safety officer; never the last safety officer)')
    .argument('<name>', 'account to remove')
    .requiredOption('-u, --user <name>', 'acting safety officer')
    .addOption(dataDirOption('gateway data directory'))
    .option('--reason <text>', 'why (recorded in the audit log)')
    .addHelpText('after', `\nExample:\n  minegate user remove zhang --user chief --reason "left the site" -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (name: string, o: CommonOptions & { reason?: string }) => {
      await guard('user remove', async () => {
        const session = await openCliSession(o.dataDir, o.user, 'safety-officer', `user remove ${name}`);
        try {
          const removed = await new OperatorStore(o.dataDir).remove(name, session.operator);
          session.record({ action: 'operator-change', target: `operator:${name}`, outcome: 'ok', before: { role: removed.role }, after: null, detail: 'removed', ...(o.reason ? { reason: o.reason } : {}) });
          out(`removed ${name} (${removed.role})`);
        } finally {
          session.close();
        }
      });
    });
}
