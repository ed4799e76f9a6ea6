// Drives the engine's decisions onto the output devices and reports what was confirmed, for
// SafetyEngine.reportActuation(). Cuts go first, then energising, then signal outputs (siren,
// beacon, evacuation, heartbeat). A dead device costs one probe per cycle, not one timeout per
// output, and a call that arrives while the previous one is still writing is coalesced: only the
// newest decisions are applied (stale commands are never replayed). When newer decisions change a
// power output, the run in progress stops after the write on the wire, so a cut never waits behind
// a whole batch of signal writes and read-backs; a cut that arrives while a run is writing goes to
// the device at once (its driver writes at high priority, so it is the next request on the line),
// not when the run's current await returns: by then the bus master has already sent a queued
// normal-priority poll (measured: heartbeat write on the wire + a relay poll read = 43-105 ms
// reply → cut at 9600 baud, against ~1 ms otherwise). Devices are re-read (refresh) at most once per
// refreshMs: with many points every reading batch is an application, and re-reading the coils on
// each would keep a slow RS-485 relay bus busy all the time.
import type { OutputDriver } from '../../drivers/output-driver.js';
import type { ActuationReport, OutputDecision } from './engine-types.js';

export interface OutputActuatorOptions {
  /** Output id → device and channel (PlannedOutput, OutputConfig or decisions all fit). */
  outputs: readonly { id: string; device: string; channel: string }[];
  /** Output drivers by device id. */
  drivers: ReadonlyMap<string, OutputDriver> | Readonly<Record<string, OutputDriver>>;
  /** Re-read each driver's channels at most this often, ms (0: every application; Infinity: never). */
  refreshMs?: number;
  /** Monotonic clock for the refresh schedule (default performance.now). */
  now?: () => number;
  /** Nothing is written before this settles (a reload: the previous loop's write on the wire finishes first). */
  after?: Promise<void>;
}

export const OUTPUT_ACTUATOR_DEFAULTS = { refreshMs: 1000, now: (): number => performance.now() } as const;

interface Job {
  decisions: readonly OutputDecision[];
  waiters: ((reports: ActuationReport[]) => void)[];
}

export class OutputActuator {
  private readonly drivers: Map<string, OutputDriver>;
  private readonly routes = new Map<string, { device: string; channel: string }>();
  private readonly unconfirmed = new Set<string>();
  /** Last time each output's channel was seen (confirmed or read back) in the state it was commanded to. */
  private readonly seenAsCommanded = new Map<string, { energize: boolean; at: number }>();
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly lastRefresh = new Map<string, number>();
  private next: Job | undefined;
  private running: Promise<void> | undefined;
  private after: Promise<void> | undefined;
  /** Cuts sent ahead of the run in progress, by output: the run that reaches them waits for their answer. */
  private readonly cutting = new Map<string, Promise<boolean>>();
  /** What the run in progress is writing now, by output (the write on the wire, or queued in the master). */
  private readonly writing = new Map<string, boolean>();

  constructor(opts: OutputActuatorOptions) {
    if (!opts || !Array.isArray(opts.outputs)) throw new TypeError('OutputActuator: outputs must be an array');
    this.drivers = opts.drivers instanceof Map ? new Map(opts.drivers) : new Map(Object.entries(opts.drivers ?? {}));
    for (const o of opts.outputs) {
      const driver = this.drivers.get(o.device);
      if (!driver || typeof driver.set !== 'function' || typeof driver.state !== 'function') {
        throw new TypeError(`OutputActuator: output "${o.id}" needs a driver for device "${o.device}" (drivers: ${[...this.drivers.keys()].join(', ') || 'none'})`);
      }
      this.routes.set(o.id, { device: o.device, channel: o.channel });
    }
    const refreshMs = opts.refreshMs ?? OUTPUT_ACTUATOR_DEFAULTS.refreshMs;
    if (typeof refreshMs !== 'number' || Number.isNaN(refreshMs) || refreshMs < 0) throw new TypeError(`OutputActuator: refreshMs must be a non-negative number of ms, got ${String(opts.refreshMs)}`);
    this.refreshMs = refreshMs;
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new TypeError(`OutputActuator: now must be a function, got ${typeof opts.now}`);
    this.now = opts.now ?? OUTPUT_ACTUATOR_DEFAULTS.now;
    this.after = opts.after;
  }

  /** Apply decisions; resolves with one report per decision of the run that applied them (or a newer one). */
  apply(decisions: readonly OutputDecision[]): Promise<ActuationReport[]> {
    if (this.running && !this.after) this.cutAhead(decisions);
    return new Promise((resolve) => {
      if (this.next) {
        this.next.decisions = decisions;
        this.next.waiters.push(resolve);
      } else this.next = { decisions, waiters: [resolve] };
      this.running ??= this.loop();
    });
  }

  /**
   * Forget decisions not yet on the wire (a reload: the next loop decides afresh); their callers
   * get no reports. The write in progress finishes.
   */
  dropQueued(): void {
    const job = this.next;
    this.next = undefined;
    for (const w of job?.waiters ?? []) w([]);
  }

  /** Resolves when nothing is being written. */
  async idle(): Promise<void> {
    while (this.running || this.cutting.size > 0) await Promise.all([this.running, ...this.cutting.values()]);
  }

  /**
   * A run is writing: each power output these decisions cut, and that is not already off (or being
   * cut), is written off now, ahead of the run. The run stops after its write on the wire
   * (superseded) and the next one takes these answers instead of writing again. Off only: an
   * energising write waits its turn, as before.
   */
  private cutAhead(decisions: readonly OutputDecision[]): void {
    for (const d of decisions) {
      if (d.kind !== 'power' || d.energize || this.cutting.has(d.output)) continue;
      const route = this.routes.get(d.output);
      if (!route) continue;
      const driver = this.drivers.get(route.device)!;
      const off = driver.state(route.channel) === false && !this.unconfirmed.has(d.output) && this.writing.get(d.output) !== true;
      if (off) continue;
      const cut = driver.set(route.channel, false).then(
        (confirmed) => {
          if (confirmed) {
            this.unconfirmed.delete(d.output);
            this.seenAsCommanded.set(d.output, { energize: false, at: this.now() });
          } else this.unconfirmed.add(d.output);
          return confirmed;
        },
        () => {
          this.unconfirmed.add(d.output);
          return false;
        },
      );
      this.cutting.set(d.output, cut);
      void cut.then(() => {
        if (this.cutting.get(d.output) === cut) this.cutting.delete(d.output);
      });
    }
  }

  private async loop(): Promise<void> {
    if (this.after) {
      await this.after.catch(() => undefined);
      this.after = undefined;
    }
    while (this.next) {
      const job = this.next;
      this.next = undefined;
      let reports: ActuationReport[];
      try {
        reports = await this.applyNow(job.decisions);
      } catch (err) {
        // A driver bug: nothing can be claimed as confirmed.
        reports = job.decisions.map((d) => ({ output: d.output, energize: d.energize, confirmed: false, error: (err as Error).message }));
      }
      // Stopped early for newer decisions: its callers get the newer run's reports.
      const newer = this.next as Job | undefined;
      if (newer && reports.length < job.decisions.length) newer.waiters.unshift(...job.waiters);
      else for (const w of job.waiters) w(reports);
    }
    this.running = undefined;
  }

  /** Newer decisions are waiting that change some power output: finish the write on the wire, then switch to them. */
  private superseded(current: readonly OutputDecision[]): boolean {
    const next = this.next;
    if (!next) return false;
    const now = new Map(current.map((d) => [d.output, d.energize]));
    return next.decisions.some((d) => d.kind === 'power' && now.get(d.output) !== d.energize);
  }

  private async applyNow(decisions: readonly OutputDecision[]): Promise<ActuationReport[]> {
    const byDevice = new Map<string, OutputDecision[]>();
    for (const d of decisions) {
      const route = this.routes.get(d.output);
      if (!route) continue;
      byDevice.set(route.device, [...(byDevice.get(route.device) ?? []), d]);
    }
    const rank = (d: OutputDecision) => (d.kind === 'power' ? (d.energize ? 1 : 0) : 2);
    const reports = new Map<string, ActuationReport>();

    await Promise.all(
      [...byDevice].map(async ([device, list]) => {
        const driver = this.drivers.get(device)!;
        let reachable = true;
        for (const d of [...list].sort((a, b) => rank(a) - rank(b))) {
          const { channel } = this.routes.get(d.output)!;
          const ahead = this.cutting.get(d.output);
          if (ahead && !d.energize) {
            // Cut ahead of the previous run (cutAhead): its answer is this write's.
            const confirmed = await ahead;
            const report: ActuationReport = { output: d.output, energize: false, confirmed };
            if (!confirmed) report.error = driver.online ? 'read-back mismatch' : `device ${device} unreachable`;
            reports.set(d.output, report);
            if (!confirmed && !driver.online) reachable = false;
            if (this.superseded(decisions)) return;
            continue;
          }
          if (ahead) await ahead;
          const known = driver.state(channel);
          if (known === d.energize && !this.unconfirmed.has(d.output)) {
            this.seenAsCommanded.set(d.output, { energize: d.energize, at: this.now() });
            reports.set(d.output, { output: d.output, energize: d.energize, confirmed: true });
            continue;
          }
          // Confirmed as commanded before, the command unchanged, and now read back the other way:
          // nobody here moved it (the heartbeat toggles by design and is not watched).
          const seen = this.seenAsCommanded.get(d.output);
          const overridden =
            d.kind !== 'heartbeat' && known !== undefined && seen?.energize === d.energize && !this.unconfirmed.has(d.output)
              ? { found: known, lastSeenAgoMs: this.now() - seen.at }
              : undefined;
          if (!reachable) {
            reports.set(d.output, { output: d.output, energize: d.energize, confirmed: false, error: `device ${device} unreachable` });
            this.unconfirmed.add(d.output);
            continue;
          }
          // The heartbeat toggles every tick: the write's acknowledgement is enough, and half the
          // bus time stays free for a cut.
          this.writing.set(d.output, d.energize);
          let confirmed: boolean;
          try {
            confirmed = await driver.set(channel, d.energize, d.kind === 'heartbeat' ? { readBack: false } : {});
          } finally {
            this.writing.delete(d.output);
          }
          if (confirmed) this.unconfirmed.delete(d.output);
          else this.unconfirmed.add(d.output);
          // One failed probe on an unreachable device is enough for this cycle.
          if (!confirmed && !driver.online) reachable = false;
          if (confirmed) this.seenAsCommanded.set(d.output, { energize: d.energize, at: this.now() });
          const report: ActuationReport = { output: d.output, energize: d.energize, confirmed };
          if (!confirmed) report.error = driver.online ? 'read-back mismatch' : `device ${device} unreachable`;
          if (overridden) report.overridden = overridden;
          reports.set(d.output, report);
          if (this.superseded(decisions)) return;
        }
        // Re-read for the next cycle: a module that reset its coils shows up as a state mismatch.
        if (!reachable || !driver.refresh || this.superseded(decisions)) return;
        const last = this.lastRefresh.get(device);
        if (last !== undefined && this.now() - last < this.refreshMs) return;
        this.lastRefresh.set(device, this.now());
        await driver.refresh();
      }),
    );
    return decisions.filter((d) => reports.has(d.output)).map((d) => reports.get(d.output)!);
  }
}
