// The one status line that says whether the interlocks run at all: a technician reads it first.
import { describe, expect, it } from 'vitest';
import { describeKernel } from '../../edge/status-view.js';

const running = { alive: true, pid: 4242, cycles: 1200, lastCycleAgeMs: 120.4, maxCycleMs: 1.2, maxTickGapMs: 260, maxStallMs: 8.6, dropped: { readings: 0, logs: 0, states: 0 } };

describe('status: the safety kernel line', () => {
  it('running: pid, age of the last cycle, cycles, longest stall; dropped copies only when there are some', () => {
    expect(describeKernel(running)).toBe('safety kernel: running (pid 4242), last cycle 120 ms ago, 1200 cycles, longest stall 9 ms');
    expect(describeKernel({ ...running, dropped: { readings: 7, logs: 2, states: 40 } })).toMatch(/, 9 routine copies dropped$/);
  });

  it('not heard from for 2 s: LATE; gone: NOT RUNNING; as read back from JSON (Infinity is null): no cycle yet', () => {
    expect(describeKernel({ ...running, lastCycleAgeMs: 2_500 })).toMatch(/last cycle 2500 ms ago \(LATE: not heard from\)/);
    expect(describeKernel({ ...running, alive: false })).toBe('safety kernel: NOT RUNNING (no interlock acts; only a relay-module watchdog can drop power)');
    expect(describeKernel({ ...running, lastCycleAgeMs: null as unknown as number })).toMatch(/no cycle yet/);
  });
});
