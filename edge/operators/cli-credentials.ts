// How an operator proves who they are to the CLI, non-interactively or at a terminal:
//   --user <name>, and the password from the MINEGATE_PASSWORD environment variable, or typed at a
//   prompt (no echo) when stdin is a terminal. Scripts set the variable; people type.
// New passwords (user add / passwd) come from MINEGATE_NEW_PASSWORD, or are typed twice.
import { authorize } from './authorize.js';
import { OperatorError } from './operator-error.js';
import type { Operator } from './operator-store.js';
import type { Role } from './roles.js';

export const PASSWORD_ENV = 'MINEGATE_PASSWORD';
export const NEW_PASSWORD_ENV = 'MINEGATE_NEW_PASSWORD';

/** Password of the acting operator: env var, else a no-echo prompt on a terminal. */
export async function operatorPassword(user: string): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    throw new OperatorError('password-missing', `no password for ${user}: set ${PASSWORD_ENV} (scripts) or run on a terminal to be asked`);
  }
  return promptHidden(`password for ${user}: `);
}

/** A new password: env var, else typed twice at a terminal. */
export async function newPassword(forUser: string): Promise<string> {
  const fromEnv = process.env[NEW_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    throw new OperatorError('password-missing', `no new password for ${forUser}: set ${NEW_PASSWORD_ENV} (scripts) or run on a terminal to be asked`);
  }
  const first = await promptHidden(`new password for ${forUser}: `);
  const second = await promptHidden('repeat it: ');
  if (first !== second) throw new OperatorError('invalid-password', 'the two passwords differ; nothing was changed');
  return first;
}

/** --user plus password → an authorised operator, or OperatorError. */
export async function authorizeFromCli(dataDir: string, user: string | undefined, needRole: Role): Promise<Operator> {
  if (!user) throw new OperatorError('bad-credentials', `this needs a ${needRole}: give --user <name> (password from ${PASSWORD_ENV} or a prompt)`);
  return authorize(dataDir, user, await operatorPassword(user), needRole);
}

/** Read a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt appears: whatever is typed after seeing it must never show.
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err: Error | null): void => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || ch === '\u0004') return finish(new OperatorError('password-missing', 'password entry cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}
