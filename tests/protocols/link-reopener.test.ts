// Unit tests of LinkReopener with a scripted in-memory Link (the real links are covered by
// links.test.ts, and the reopener through them by master-*.test.ts and card-reader-serial.test.ts).
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkError, type Link } from '../../protocols/links/link.js';
import { LinkReopener, type LinkReopenerOptions } from '../../protocols/links/link-reopener.js';
import { waitFor } from '../helpers/wait-for.js';

/** A Link whose open() fails while `failOpens` > 0; records when open() was called. */
class ScriptedLink extends EventEmitter implements Link {
  readonly description = 'scripted link';
  isOpen = false;
  failOpens = 0;
  readonly openCalls: number[] = [];
  closes = 0;
  /** When set, open() waits for this before resolving. */
  gate: Promise<void> | null = null;

  async open(): Promise<void> {
    this.openCalls.push(Date.now());
    if (this.gate) await this.gate;
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new LinkError('open-failed', this.description, 'ENOENT');
    }
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.closes++;
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close', undefined);
  }

  async write(): Promise<void> {}

  /** The far end went away. */
  drop(err?: Error): void {
    this.isOpen = false;
    this.emit('close', err);
  }
}

describe('LinkReopener', () => {
  const reopeners: LinkReopener[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const r of reopeners.splice(0)) {
      r.stop();
      await r.settled();
    }
  });

  function make(link: Link, overrides: Partial<LinkReopenerOptions> = {}) {
    const seen = { opens: 0, drops: [] as (Error | undefined)[] };
    const reopener = new LinkReopener(link, {
      reopenMinMs: 20,
      reopenMaxMs: 50,
      onOpen: () => void seen.opens++,
      onDrop: (err) => void seen.drops.push(err),
      closedWhileOpening: () => new Error('owner closed while opening'),
      ...overrides,
    });
    reopeners.push(reopener);
    return { reopener, seen };
  }

  it('rejects bad backoff options naming the value', () => {
    const link = new ScriptedLink();
    expect(() => make(link, { reopenMinMs: 0 })).toThrow(new TypeError('LinkReopener reopenMinMs must be a positive number of ms, got 0'));
    expect(() => make(link, { reopenMinMs: 100, reopenMaxMs: 50 })).toThrow(new TypeError('LinkReopener reopenMaxMs (50) must be >= reopenMinMs (100)'));
  });

  it('a failed first open rejects with the link error and keeps retrying with doubling, capped backoff', async () => {
    const link = new ScriptedLink();
    link.failOpens = 4;
    const { reopener, seen } = make(link);
    await expect(reopener.open()).rejects.toMatchObject({ code: 'open-failed' });
    expect(reopener.isUp).toBe(false);
    await waitFor(() => seen.opens === 1, { what: 'the background open', timeoutMs: 2_000 });
    expect(reopener.isUp).toBe(true);
    expect(link.openCalls).toHaveLength(5);
    // Delays 20, 40, 50 (capped), 50 ms.
    const gaps = link.openCalls.slice(1).map((t, i) => t - link.openCalls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(48);
    expect(gaps[3]).toBeGreaterThanOrEqual(48);
    expect(gaps[3]).toBeLessThan(150);
    // The first successful open is not a reopen.
    expect(reopener.reopens).toBe(0);
  });

  it('a dropped link is reported, then reopened and counted', async () => {
    const link = new ScriptedLink();
    const { reopener, seen } = make(link);
    await reopener.open();
    expect(seen.opens).toBe(1);
    const cause = new Error('EIO');
    link.drop(cause);
    expect(seen.drops).toEqual([cause]);
    expect(reopener.isUp).toBe(false);
    await waitFor(() => seen.opens === 2, { what: 'the reopen', timeoutMs: 2_000 });
    expect(reopener.isUp).toBe(true);
    expect(reopener.reopens).toBe(1);
  });

  it('cycle() closes and reopens at once without reporting a drop or an open; a failed reopen is a drop', async () => {
    const link = new ScriptedLink();
    let cycled = 0;
    const { reopener, seen } = make(link, { onCycled: () => void cycled++ });
    await reopener.open();
    reopener.cycle();
    expect(reopener.isUp).toBe(false);
    expect(reopener.isCycling).toBe(true);
    await waitFor(() => cycled === 1, { what: 'the cycle', timeoutMs: 2_000 });
    expect({ up: reopener.isUp, cycles: reopener.cycles, opens: seen.opens, drops: seen.drops.length, closes: link.closes }).toEqual({ up: true, cycles: 1, opens: 1, drops: 0, closes: 1 });
    link.failOpens = 1;
    reopener.cycle();
    await waitFor(() => seen.drops.length === 1, { what: 'the failed cycle reported as a drop', timeoutMs: 2_000 });
    await waitFor(() => seen.opens === 2, { what: 'the backoff reopen', timeoutMs: 2_000 });
    expect(reopener.cycles).toBe(1);
  });

  it('stop() ends reopening, and a close after stop() is not reported as a drop', async () => {
    vi.useFakeTimers();
    const link = new ScriptedLink();
    const { reopener, seen } = make(link);
    await reopener.open();
    link.failOpens = 1_000;
    link.drop();
    reopener.stop();
    expect(reopener.stopped).toBe(true);
    const callsAtStop = link.openCalls.length;
    // Far past every backoff period: had a reopen timer survived stop(), open() would have been called.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(link.openCalls.length).toBe(callsAtStop);
    expect(seen.drops).toHaveLength(1);
  });

  it('stop() while the link is opening closes it again and open() rejects with the owner error', async () => {
    const link = new ScriptedLink();
    let release!: () => void;
    link.gate = new Promise<void>((resolve) => (release = resolve));
    const { reopener, seen } = make(link);
    const opening = reopener.open();
    reopener.stop();
    release();
    await expect(opening).rejects.toThrow('owner closed while opening');
    await reopener.settled();
    expect(link.closes).toBe(1);
    expect(link.isOpen).toBe(false);
    expect(seen.opens).toBe(0);
    expect(reopener.isUp).toBe(false);
  });
});
