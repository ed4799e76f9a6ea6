// Electronic seal alarms upstream, when the seals capability runs: every alarm start, update,
// image and end as the e-seal AI boxes' alarm message (edge/seals/events.ts toAlarmMessage).
import { toAlarmMessage, type SealEvent } from '../../edge/seals/events.js';
import type { Outbox } from '../outbox.js';
import { sealStream } from '../streams/index.js';

/** What sync needs from the seals capability (edge/seals/seal-capability.ts fits). */
export interface SealSource {
  readonly engine: { onEvent(listener: (e: SealEvent) => void): () => void };
}

export function isSealSource(c: unknown): c is SealSource {
  if (typeof c !== 'object' || c === null || !('engine' in c)) return false;
  try {
    return typeof (c as SealSource).engine?.onEvent === 'function';
  } catch {
    // The capability's engine getter throws before start.
    return false;
  }
}

export class SealFeed {
  private sent = 0;
  private readonly unsubscribe: () => void;

  constructor(source: SealSource, outbox: Outbox) {
    this.unsubscribe = source.engine.onEvent((e) => {
      const m = toAlarmMessage(e);
      if (!m) return;
      this.sent++;
      outbox.append(sealStream, { at: e.wallTime, seq: e.seq, ...m });
    });
  }

  stats(): { alarmMessages: number } {
    return { alarmMessages: this.sent };
  }

  close(): void {
    this.unsubscribe();
  }
}
