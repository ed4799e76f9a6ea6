// Relay test pulses: one output driven opposite to the engine's decision for a while, then handed
// back. The engine stays in charge: a power output is only ever pulsed towards cut (one held cut
// is refused, never energised; a hold appearing during the pulse wins at once), a warning output
// on for an alarm is never silenced, and the watchdog heartbeat is refused.
import { SafetyCommandError } from './errors.js';
import type { ActuationReport, OutputDecision } from './engine-types.js';

export const relayTestPulseBounds = {
  /** Long enough for a contactor to pull in, short enough to stay a test. */
  minPulseMs: 50,
  maxPulseMs: 10_000,
} as const;

/** What a relay test did: the output driven away from the engine's decision and handed back. */
export interface TestPulseResult {
  output: string;
  kind: string;
  /** The engine's decision when the test began. */
  engineState: boolean;
  /** The state driven during the pulse. */
  pulsedTo: boolean;
  pulseMs: number;
  /** Actuation report of the pulse and of the hand-back. */
  pulse: ActuationReport;
  handBack: ActuationReport;
}

export interface RelayTestPulseDeps {
  /** The engine's latest decisions. */
  decisions(): OutputDecision[];
  /** Drive decisions through the safety loop's actuator (pulse overrides applied by apply()). */
  drive(decisions: OutputDecision[]): Promise<ActuationReport[]>;
  running(): boolean;
}

export class RelayTestPulses {
  /** Output → state driven instead of the engine's decision. */
  private readonly overrides = new Map<string, boolean>();
  private readonly pulses = new Map<string, { wake: () => void; done: Promise<unknown> }>();

  constructor(private readonly deps: RelayTestPulseDeps) {}

  /** A relay test is in progress (a reload waits for it to end). */
  busy(): boolean {
    return this.pulses.size > 0;
  }

  /**
   * Drive one output opposite to the engine's decision for `pulseMs`, then hand it
   * back. The engine stays in charge: a power output is only ever pulsed towards cut (one held cut
   * is refused, never energised; a hold appearing during the pulse wins at once), and the watchdog
   * heartbeat is refused. Throws SafetyCommandError when refused.
   */
  async run(outputId: string, pulseMs: number): Promise<TestPulseResult> {
    const { minPulseMs, maxPulseMs } = relayTestPulseBounds;
    if (!Number.isInteger(pulseMs) || pulseMs < minPulseMs || pulseMs > maxPulseMs) {
      throw new SafetyCommandError('INVALID_COMMAND', `pulse length must be an integer ${minPulseMs}..${maxPulseMs} ms, got ${String(pulseMs)}`);
    }
    const decision = this.deps.decisions().find((d) => d.output === outputId);
    if (!decision) throw new SafetyCommandError('UNKNOWN_TARGET', `no output "${outputId}"`);
    if (decision.kind === 'heartbeat') throw new SafetyCommandError('INVALID_COMMAND', `${outputId} is the watchdog heartbeat: holding it trips the external watchdog, so it is not pulsed by hand`);
    if (this.overrides.has(outputId)) throw new SafetyCommandError('DUPLICATE_COMMAND', `a relay test of ${outputId} is already running`);
    const pulsedTo = !decision.energize;
    if (decision.kind === 'power' && pulsedTo) {
      throw new SafetyCommandError('INVALID_COMMAND', `${outputId} is held cut by ${decision.holds.join(', ')}: a relay test never energises a held output`);
    }
    if (decision.kind !== 'power' && decision.energize) {
      throw new SafetyCommandError('INVALID_COMMAND', `${outputId} (${decision.kind}) is on for an active alarm or evacuation: a relay test never silences it`);
    }
    let wake = (): void => {};
    const run = async (): Promise<TestPulseResult> => {
      this.overrides.set(outputId, pulsedTo);
      let pulse: ActuationReport | undefined;
      try {
        pulse = await this.driveNow(outputId);
        if (this.deps.running()) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pulseMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        this.overrides.delete(outputId);
      }
      const handBack = await this.driveNow(outputId);
      return { output: outputId, kind: decision.kind, engineState: decision.energize, pulsedTo, pulseMs, pulse, handBack };
    };
    const done = run();
    this.pulses.set(outputId, { wake: () => wake(), done });
    try {
      return await done;
    } finally {
      this.pulses.delete(outputId);
    }
  }

  /** Drive the latest decisions (with relay-test overrides) now; the report for one output. */
  private async driveNow(outputId: string): Promise<ActuationReport> {
    const reports = await this.deps.drive(this.deps.decisions().filter((d) => d.kind !== 'heartbeat'));
    return reports.find((r) => r.output === outputId) ?? { output: outputId, energize: false, confirmed: false, error: 'no report from the actuator' };
  }

  /** Decisions with the pulses in progress applied, except that power the engine cuts stays cut. */
  apply(decisions: OutputDecision[]): OutputDecision[] {
    if (this.overrides.size === 0) return decisions;
    return decisions.map((d) => {
      const forced = this.overrides.get(d.output);
      if (forced === undefined || (d.kind === 'power' && forced && !d.energize)) return d;
      return { ...d, energize: forced };
    });
  }

  /** End every pulse in progress now (their outputs are handed back). */
  async endAll(): Promise<void> {
    for (const p of this.pulses.values()) p.wake();
    await Promise.allSettled([...this.pulses.values()].map((p) => p.done));
  }
}
