// The kernel's side of its link to the gateway process. postMessage never blocks, but an unread port
// grows without bound (a gateway process stopped or stuck in disk I/O for an hour would fill the
// kernel's memory), so the kernel counts what the gateway process has not yet handled: past the
// capacity, routine copies (readings, log lines) are dropped and counted; state snapshots coalesce
// (only the newest matters: at most two unseen, later ones replace each other). Safety messages
// (records, events, replies) always go: records are also in the kernel's own write-ahead file, and
// they are few.
import type { FromKernel } from './protocol.js';

export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export const KERNEL_CHANNEL_DEFAULTS = {
  /** State snapshots sent and not yet seen by the gateway process before newer ones wait. */
  maxUnseenStates: 2,
} as const;

export class KernelChannel {
  private routineSent = 0;
  private consumed = 0;
  private statesUnseen = 0;
  private pendingState: (() => FromKernel) | undefined;
  /** Messages held until the current turn's synchronous work (the cycle and its coil writes) is done. */
  private afterTurn: FromKernel[] = [];
  private stateAfter: (() => FromKernel) | undefined;
  private flushScheduled = false;
  readonly dropped = { readings: 0, logs: 0, states: 0 };

  constructor(
    private readonly port: PortLike,
    private readonly capacity: number,
  ) {}

  /** Never dropped here; a closed port (gateway process gone) is ignored, the write-ahead file has it. */
  send(message: FromKernel): void {
    if (this.afterTurn.length > 0 || this.stateAfter) this.flushAfterTurn();
    this.post(message);
  }

  /**
   * Like send, but posted after the current turn of the event loop (setImmediate: once every
   * callback of this poll phase has run, the cycle's coil writes among them). An interlock cycle
   * makes its records, events and the state change inside the engine's evaluation, before it writes
   * the coils; serialising them for the pipe (0.06-1.8 ms, a state snapshot 0.4-2.5 ms) inside the
   * same turn made the turn that cuts the longest one of the kernel's event loop. Order is kept:
   * any send flushes these first, so a reply never overtakes the records of what it did.
   */
  sendAfterTurn(message: FromKernel): void {
    this.afterTurn.push(message);
    this.flushSoon();
  }

  /** A state snapshot (see state()) built and posted after the turn, once however often asked within it. */
  stateAfterTurn(build: () => FromKernel): void {
    this.stateAfter = build;
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushAfterTurn();
    });
  }

  private flushAfterTurn(): void {
    const held = this.afterTurn;
    this.afterTurn = [];
    for (const m of held) this.post(m);
    const state = this.stateAfter;
    this.stateAfter = undefined;
    if (state) this.state(state);
  }

  private post(message: FromKernel): void {
    try {
      this.port.postMessage(message);
    } catch {
      // Nothing to do on the kernel's side: protection goes on.
    }
  }

  /** A routine copy: dropped (counted) while the gateway process is `capacity` messages behind. */
  routine(message: FromKernel, kind: keyof KernelChannel['dropped']): boolean {
    if (this.routineSent - this.consumed >= this.capacity) {
      this.dropped[kind]++;
      return false;
    }
    this.routineSent++;
    this.send(message);
    return true;
  }

  /**
   * A state snapshot, built only when it can go: while `maxUnseenStates` are unseen by the main
   * thread, the newest request waits (and replaces an older waiting one, counted).
   */
  state(build: () => FromKernel): void {
    if (this.statesUnseen >= KERNEL_CHANNEL_DEFAULTS.maxUnseenStates) {
      if (this.pendingState) this.dropped.states++;
      this.pendingState = build;
      return;
    }
    this.statesUnseen++;
    this.send(build());
  }

  /** The gateway process has taken a snapshot in: the waiting one (if any) goes now, built fresh. */
  stateSeen(): void {
    if (this.statesUnseen > 0) this.statesUnseen--;
    const pending = this.pendingState;
    this.pendingState = undefined;
    if (pending) this.state(pending);
  }

  consumedThrough(n: number): void {
    if (n > this.consumed) this.consumed = n;
  }
}
