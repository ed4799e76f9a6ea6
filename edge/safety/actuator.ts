// Drives the engine's decisions onto the output devices and reports what was confirmed, for
// SafetyEngine.reportActuation(). Cuts go first, then energising, then signal outputs (siren,
// beacon, evacuation, heartbeat). A dead device costs one probe per cycle, not one timeout per
// output, and a call that arrives while the previous one is still writing is coalesced: only the
// newest decisions are applied (stale commands are never replayed).
import type { OutputDriver } from '../../drivers/output-driver.js';
import type { ActuationReport, OutputDecision } from './engine.js';

export interface OutputActuatorOptions {
  /** Output id → device and channel (PlannedOutput, OutputConfig or decisions all fit). */
  outputs: readonly { id: string; device: string; channel: string }[];
  /** Output drivers by device id. */
  drivers: ReadonlyMap<string, OutputDriver> | Readonly<Record<string, OutputDriver>>;
  /** Re-read each driver's channels every N applications (0 = never; default 1). */
  refreshEvery?: number;
}

export const outputActuatorDefaults = { refreshEvery: 1 } as const;

interface Job {
  decisions: readonly OutputDecision[];
  waiters: ((reports: ActuationReport[]) => void)[];
}

export class OutputActuator {
  private readonly drivers: Map<string, OutputDriver>;
  private readonly routes = new Map<string, { device: string; channel: string }>();
  private readonly unconfirmed = new Set<string>();
  private readonly refreshEvery: number;
  private applications = 0;
  private next: Job | undefined;
  private running: Promise<void> | undefined;

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
    const every = opts.refreshEvery ?? outputActuatorDefaults.refreshEvery;
    if (!Number.isInteger(every) || every < 0) throw new TypeError(`OutputActuator: refreshEvery must be a non-negative integer, got ${String(opts.refreshEvery)}`);
    this.refreshEvery = every;
  }

  /** Apply decisions; resolves with one report per decision of the run that applied them (or a newer one). */
  apply(decisions: readonly OutputDecision[]): Promise<ActuationReport[]> {
    return new Promise((resolve) => {
      if (this.next) {
        this.next.decisions = decisions;
        this.next.waiters.push(resolve);
      } else this.next = { decisions, waiters: [resolve] };
      this.running ??= this.loop();
    });
  }

  /** Resolves when nothing is being written. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
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
      for (const w of job.waiters) w(reports);
    }
    this.running = undefined;
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
    this.applications++;
    const refresh = this.refreshEvery > 0 && this.applications % this.refreshEvery === 0;

    await Promise.all(
      [...byDevice].map(async ([device, list]) => {
        const driver = this.drivers.get(device)!;
        let reachable = true;
        for (const d of [...list].sort((a, b) => rank(a) - rank(b))) {
          const { channel } = this.routes.get(d.output)!;
          const known = driver.state(channel);
          if (known === d.energize && !this.unconfirmed.has(d.output)) {
            reports.set(d.output, { output: d.output, energize: d.energize, confirmed: true });
            continue;
          }
          if (!reachable) {
            reports.set(d.output, { output: d.output, energize: d.energize, confirmed: false, error: `device ${device} unreachable` });
            this.unconfirmed.add(d.output);
            continue;
          }
          const confirmed = await driver.set(channel, d.energize);
          if (confirmed) this.unconfirmed.delete(d.output);
          else this.unconfirmed.add(d.output);
          // One failed probe on an unreachable device is enough for this cycle.
          if (!confirmed && !driver.online) reachable = false;
          const report: ActuationReport = { output: d.output, energize: d.energize, confirmed };
          if (!confirmed) report.error = driver.online ? 'read-back mismatch' : `device ${device} unreachable`;
          reports.set(d.output, report);
        }
        // Re-read for the next cycle: a module that reset its coils shows up as a state mismatch.
        if (refresh && reachable && driver.refresh) await driver.refresh();
      }),
    );
    return decisions.filter((d) => reports.has(d.output)).map((d) => reports.get(d.output)!);
  }
}
