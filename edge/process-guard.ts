// Process-level fault handling for the gateway's main process (`minegate run`, `minegate demo`).
// A fault nobody caught (a bug in personnel, seals, sync, the control socket …) means this process
// can no longer be trusted to run the store and the operators' commands. Before, it simply died
// (or, with a full disk, hung in a log flush with the heading powered). Now, in this order:
//   1. the safety kernel (its own process) drives the fail-safe state: power cut, local fans kept
//      running (AQ 6201 §4 f: never fault-lockout the local fan), siren/beacon/evacuation on,
//      heartbeat stopped — the same state as an engine failure;
//   2. the records of it (the kernel's engine-failure event) go into the store, and a fatal line
//      into the log, each only if the disk takes them within a short wait;
//   3. the process exits with 70 (EX_SOFTWARE) so systemd's Restart= starts a clean gateway, whose
//      start-up hold keeps power cut until every governing point has been read fresh.
// Every step is bounded; a hard timer exits regardless at totalMs (≤ 2 s, issue 11 item 3). The
// kernel process notices the IPC channel closing and fails safe on its own too
// (kernel-process.ts, 'disconnect'), so even a guard that could not reach it leaves the outputs safe.
import type { Logger } from './log.js';
import { settleLogger } from './log.js';

export const PROCESS_GUARD_DEFAULTS = {
  /** EX_SOFTWARE from sysexits.h, as the kernel process uses. */
  exitCode: 70,
  /** The kernel's fail-safe writes issued and answered. */
  failSafeTimeoutMs: 1_000,
  /** The safety records in the store, then the log lines on disk. */
  recordsTimeoutMs: 300,
  logTimeoutMs: 200,
  /** Exit no later than this after the fault, whatever is still pending. */
  totalMs: 1_800,
} as const;

export interface ProcessGuardOptions {
  logger: Logger;
  /** Drive the fail-safe outputs (Gateway.failSafe of the gateway running now); may reject. */
  failSafe(reason: string): Promise<void>;
  /** Wait for the safety records in hand to be stored; true when they are. */
  settleRecords?(timeoutMs: number): Promise<boolean>;
  /** Tests: instead of process.exit. */
  exit?: (code: number) => void;
  /** One line for whoever reads stderr (journald under systemd). */
  stderr?: (line: string) => void;
  timeouts?: Partial<Omit<typeof PROCESS_GUARD_DEFAULTS, 'exitCode'>>;
}

export type FaultKind = 'uncaughtException' | 'unhandledRejection';

/** Resolves with the promise's outcome, or 'timeout' after ms; never rejects. */
async function bounded<T>(work: () => Promise<T>, ms: number): Promise<T | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(work)
        .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Install the handlers; returns a function that removes them (normal shutdown, tests). */
export function installProcessGuard(opts: ProcessGuardOptions): () => void {
  const t = { ...PROCESS_GUARD_DEFAULTS, ...opts.timeouts };
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const stderr = opts.stderr ?? ((line: string) => process.stderr.write(line));
  const log = opts.logger.child({ module: 'process-guard' });
  let handling = false;
  let exited = false;
  const exitOnce = (): void => {
    if (exited) return;
    exited = true;
    exit(PROCESS_GUARD_DEFAULTS.exitCode);
  };

  const onFault = async (kind: FaultKind, err: unknown): Promise<void> => {
    if (handling) {
      // A second fault while handling the first (often its echo): the same exit is already on its way.
      log.error({ kind, err: describe(err) }, 'another fault while failing safe');
      return;
    }
    handling = true;
    const startedAt = performance.now();
    // Not unref'd: this timer is what ends the process if everything else hangs.
    setTimeout(exitOnce, t.totalMs);
    const reason = `${kind} in the gateway process: ${describe(err)}`;
    stderr(`minegate: ${reason}; outputs to the fail-safe state, exiting with ${PROCESS_GUARD_DEFAULTS.exitCode}\n`);
    log.fatal({ kind, err: describe(err), stack: err instanceof Error ? err.stack : undefined }, 'fault outside the safety kernel: outputs to the fail-safe state, exiting');
    const failSafe = await bounded(() => opts.failSafe(reason), t.failSafeTimeoutMs);
    const records = opts.settleRecords ? await bounded(() => opts.settleRecords!(t.recordsTimeoutMs), t.recordsTimeoutMs + 50) : true;
    log.fatal(
      {
        failSafe: failSafe === 'timeout' ? 'no answer' : failSafe instanceof Error ? failSafe.message : 'driven',
        recordsStored: records === true,
        elapsedMs: Math.round(performance.now() - startedAt),
      },
      'exiting after a fault',
    );
    await bounded(() => settleLogger(opts.logger, t.logTimeoutMs), t.logTimeoutMs + 50);
    exitOnce();
  };

  const uncaught = (err: unknown): void => void onFault('uncaughtException', err);
  const rejection = (err: unknown): void => void onFault('unhandledRejection', err);
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', rejection);
  return () => {
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', rejection);
  };
}
