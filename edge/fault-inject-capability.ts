// A test and commissioning hook: MINEGATE_FAULT_INJECT=<uncaught|rejection>[:<delayMs>|:sigusr2]
// makes `minegate run` / `minegate demo` throw an uncaught exception (or leave a rejection
// unhandled) from a capability outside the safety kernel, either delayMs after start (0 when
// omitted) or each time the process gets SIGUSR2. It proves on the real gateway that such a fault
// drives the fail-safe outputs and ends the process non-zero (process-guard.ts). Registered only
// when the variable is set; never set it on a substation in service.
import type { Capability } from './capability.js';

export const FAULT_INJECT_ENV = 'MINEGATE_FAULT_INJECT';

export interface FaultInjection {
  kind: 'uncaught' | 'rejection';
  /** Milliseconds after start, or on SIGUSR2. */
  trigger: number | 'sigusr2';
}

export function parseFaultInjection(value: string): FaultInjection {
  const m = /^(uncaught|rejection)(?::(\d+|sigusr2))?$/.exec(value.trim());
  if (!m) throw new TypeError(`${FAULT_INJECT_ENV} must be uncaught or rejection, optionally :<delayMs> or :sigusr2, got ${JSON.stringify(value)}`);
  return { kind: m[1] as FaultInjection['kind'], trigger: m[2] === 'sigusr2' ? 'sigusr2' : Number(m[2] ?? 0) };
}

export class FaultInjectCapability implements Capability {
  readonly name = 'fault-inject';
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (): void => this.fire();

  constructor(readonly injection: FaultInjection) {}

  /** The capability when the environment asks for one, else undefined. Throws TypeError on a malformed value. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): FaultInjectCapability | undefined {
    const value = env[FAULT_INJECT_ENV];
    return value === undefined || value === '' ? undefined : new FaultInjectCapability(parseFaultInjection(value));
  }

  start(): void {
    if (this.injection.trigger === 'sigusr2') process.on('SIGUSR2', this.onSignal);
    else this.timer = setTimeout(() => this.fire(), this.injection.trigger);
  }

  stop(): void {
    clearTimeout(this.timer);
    process.off('SIGUSR2', this.onSignal);
  }

  statusJson(): unknown {
    return { ...this.injection };
  }

  private fire(): void {
    // Off the signal handler's and the timer's own stack, as a bug in a real capability would be.
    setImmediate(() => {
      if (this.injection.kind === 'rejection') void Promise.reject(new Error('injected unhandled rejection (MINEGATE_FAULT_INJECT)'));
      else throw new Error('injected uncaught exception (MINEGATE_FAULT_INJECT)');
    });
  }
}
