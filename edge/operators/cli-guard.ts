// One way for technician commands to end on an error: a single clear line on stderr, exit code 1.
// Typed errors already carry a message written for the technician; nothing is swallowed.
import { fail } from '../commands/output.js';

export async function guard(command: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    fail(command, err instanceof Error ? err.message : String(err));
  }
}
