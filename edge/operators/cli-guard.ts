// One way for technician commands to end on an error: a single clear line on stderr, exit code 1
// (2 for a usage mistake: a missing --reason, a value out of range).
// Typed errors already carry a message written for the technician; nothing is swallowed.
import { EXIT, fail } from '../commands/output.js';
import { AuditError } from './audit.js';

export async function guard(command: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    // A missing --reason is a usage mistake, the same exit code as in every other command.
    const usage = (err instanceof AuditError && err.code === 'reason-required') || err instanceof RangeError;
    fail(command, err instanceof Error ? err.message : String(err), usage ? EXIT.usage : EXIT.failed);
  }
}
