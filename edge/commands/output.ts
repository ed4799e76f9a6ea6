// How commands talk to the technician: plain lines on stdout, errors on stderr, and exit codes.
// Exit codes: 0 success; 1 the command failed (invalid config, device did not answer, refused);
// 2 bad usage (unknown command or option).

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Print an error for the technician and mark the process as failed. */
export function fail(command: string, message: string, code: number = EXIT.failed): void {
  process.stderr.write(`minegate ${command}: ${message}\n`);
  process.exitCode = code;
}

/** Resolve when the operator presses Ctrl-C (or the service manager stops us). */
export function untilInterrupted(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}
