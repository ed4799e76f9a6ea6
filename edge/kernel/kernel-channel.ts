// The kernel's side of its link to the main thread. postMessage never blocks, but an unread port
// grows without bound, so the kernel counts what the main thread has not yet handled: past the
// capacity, routine copies (readings, log lines) are dropped and counted. Safety messages (records,
// events, replies, state) always go: records are also in the kernel's own write-ahead file, and
// they are few.
import type { FromKernel } from './protocol.js';

export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export class KernelChannel {
  private routineSent = 0;
  private consumed = 0;
  readonly dropped = { readings: 0, logs: 0 };

  constructor(
    private readonly port: PortLike,
    private readonly capacity: number,
  ) {}

  /** Never dropped here; a closed port (main thread gone) is ignored, the write-ahead file has it. */
  send(message: FromKernel): void {
    try {
      this.port.postMessage(message);
    } catch {
      // Nothing to do on the kernel's side: protection goes on.
    }
  }

  /** A routine copy: dropped (counted) while the main thread is `capacity` messages behind. */
  routine(message: FromKernel, kind: keyof KernelChannel['dropped']): boolean {
    if (this.routineSent - this.consumed >= this.capacity) {
      this.dropped[kind]++;
      return false;
    }
    this.routineSent++;
    this.send(message);
    return true;
  }

  consumedThrough(n: number): void {
    if (n > this.consumed) this.consumed = n;
  }
}
