// The one check other commands make before acting: is this operator who they say, and may they?
import type { Operator } from './operator-store.js';
import { OperatorStore } from './operator-store.js';
import { OperatorError } from './operator-error.js';
import { type Role, roleAtLeast } from './roles.js';

/**
 * Authenticate `user` with `password` against <dataDir>/operators.json and require at least
 * `needRole`. Resolves the operator; throws OperatorError 'no-operators', 'bad-credentials',
 * 'insufficient-role' or 'store-unreadable'.
 */
export async function authorize(dataDir: string, user: string, password: string, needRole: Role): Promise<Operator> {
  if (typeof user !== 'string' || user === '') throw new OperatorError('bad-credentials', 'no user given: pass --user <name>');
  const operator = await new OperatorStore(dataDir).authenticate(user, password);
  if (!roleAtLeast(operator.role, needRole)) {
    throw new OperatorError('insufficient-role', `${operator.name} is a ${operator.role}; this needs a ${needRole} or above`);
  }
  return operator;
}
