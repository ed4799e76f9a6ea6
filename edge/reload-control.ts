// A config reload as the technician sees it: requested (SIGHUP, or `minegate reload` through the
// control socket), then one outcome — applied, refused (loosens an interlock without a safety
// officer's confirmation, or the new config failed to start) with the reasons, or invalid with each
// problem as file:line:col. The outcome is kept with a rising sequence number, so `minegate reload`
// can wait for the one its request caused, across the control socket's restart.
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { ControlHandler } from './control/context.js';
import type { GatewaySupervisor, ReloadResult } from './gateway-supervisor.js';

export type ReloadVerdict = 'applied' | 'refused' | 'invalid';

export interface ReloadOutcome {
  seq: number;
  at: number;
  verdict: ReloadVerdict;
  /** invalid: one line per problem, `file:line:col path: message`; refused: why. */
  reasons: string[];
  /** Interlock loosenings found (applied only with a confirmation). */
  loosening: string[];
}

export interface ReloadStatus {
  configFile: string;
  pid: number;
  inProgress: boolean;
  /** Outcomes so far in this process (0: none yet). */
  seq: number;
  last: ReloadOutcome | null;
}

export class ReloadTracker {
  private seq = 0;
  private last: ReloadOutcome | null = null;
  /** Reloads run one after the other, each reading the file anew. */
  private chain: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly supervisor: GatewaySupervisor,
    /** Around the reload itself (run: the control socket follows the gateway). */
    private readonly around: (reload: () => Promise<ReloadResult>) => Promise<ReloadResult>,
    /** Every outcome, however the reload was asked for (the run loop prints it: the journal shows it). */
    private readonly report: (outcome: ReloadOutcome) => void = () => {},
  ) {}

  get configFile(): string {
    return resolve(this.supervisor.configFile);
  }

  status(): ReloadStatus {
    return { configFile: this.configFile, pid: process.pid, inProgress: this.pending > 0, seq: this.seq, last: this.last };
  }

  /** Queue a reload; its outcome will carry sequence number `seq + pending` at the time of the call. */
  reload(): Promise<ReloadOutcome> {
    this.pending += 1;
    // Next turn of the event loop: a control request that asked for it gets its answer out first.
    const p = this.chain.then(() => new Promise((r) => setImmediate(r))).then(() => this.perform()).finally(() => {
      this.pending -= 1;
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async perform(): Promise<ReloadOutcome> {
    let outcome: Omit<ReloadOutcome, 'seq' | 'at'>;
    // Validated first, so a broken file is reported problem by problem and nothing is stopped for it.
    const problems = validate(this.supervisor.configFile);
    if (problems.length > 0) outcome = { verdict: 'invalid', reasons: problems, loosening: [] };
    else {
      const r = await this.around(() => this.supervisor.reload()).catch((err: Error): ReloadResult => ({ applied: false, loosening: [], refused: err.message }));
      outcome = r.applied ? { verdict: 'applied', reasons: [], loosening: r.loosening } : { verdict: 'refused', reasons: [r.refused ?? 'not applied'], loosening: r.loosening };
    }
    this.seq += 1;
    this.last = { seq: this.seq, at: Date.now(), ...outcome };
    this.report(this.last);
    return this.last;
  }

  /** `reload.status` (where the gateway runs from, the last outcome) and `reload` (start one; answer at once). */
  handlers(): ControlHandler[] {
    return [
      { command: 'reload.status', role: 'viewer', handle: (): ReloadStatus => this.status() },
      {
        command: 'reload',
        // The same as SIGHUP, which anyone in the gateway's group can send: a loosening still needs
        // a safety officer's confirmation recorded by `minegate reload --user`.
        role: 'viewer',
        handle: (): { awaitSeq: number } => {
          const awaitSeq = this.seq + this.pending + 1;
          void this.reload();
          return { awaitSeq };
        },
      },
    ];
  }
}

/** Every problem of the file as file:line:col lines; none when it loads. */
export function validate(file: string): string[] {
  try {
    loadConfig(file);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    return [`${file}: ${(err as Error).message}`];
  }
}

/** One line for the log and stdout. */
export function describeOutcome(o: ReloadOutcome): string {
  if (o.verdict === 'applied') return `config reloaded${o.loosening.length ? ` (loosening confirmed: ${o.loosening.join('; ')})` : ''}`;
  if (o.verdict === 'invalid') return `config reload refused: the file is not valid; still running the previous config\n  ${o.reasons.join('\n  ')}`;
  return `config reload refused: ${o.reasons.join('; ')}${o.loosening.length ? `\n  ${o.loosening.join('\n  ')}` : ''}`;
}
