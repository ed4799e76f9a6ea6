// The kernel's channel never grows without bound while the gateway process does not read it (a
// stopped or disk-stuck gateway): routine copies drop past the capacity, state snapshots coalesce
// to the newest, safety records always go.
import { describe, expect, it } from 'vitest';
import { KernelChannel } from '../../edge/kernel/kernel-channel.js';
import type { FromKernel, KernelState } from '../../edge/kernel/protocol.js';

function deafPort(): { sent: FromKernel[]; postMessage(m: unknown): void; on(): void } {
  const sent: FromKernel[] = [];
  return { sent, postMessage: (m) => sent.push(m as FromKernel), on: () => undefined };
}

const state = (n: number): FromKernel => ({ t: 'state', state: { monoNow: n } as unknown as KernelState });

describe('kernel channel', () => {
  it('a gateway that reads nothing gets at most two state snapshots however long it stays away; the newest comes once it reads again', () => {
    const port = deafPort();
    const channel = new KernelChannel(port, 10);
    let built = 0;
    // An hour of snapshots every 200 ms.
    for (let i = 0; i < 18_000; i++)
      channel.state(() => {
        built++;
        return state(i);
      });
    expect(port.sent.filter((m) => m.t === 'state')).toHaveLength(2);
    // Waiting snapshots are not even built: the kernel does no work for a reader that is gone.
    expect(built).toBe(2);
    expect(channel.dropped.states).toBe(18_000 - 3);
    channel.stateSeen();
    const last = port.sent.at(-1)!;
    expect(last).toMatchObject({ t: 'state', state: { monoNow: 17_999 } });
    expect(port.sent).toHaveLength(3);
  });

  it('routine copies stop at the capacity and are counted; safety records always go', () => {
    const port = deafPort();
    const channel = new KernelChannel(port, 10);
    for (let i = 0; i < 1_000; i++) channel.routine({ t: 'readings', readings: [], device: {} as never }, 'readings');
    for (let i = 0; i < 50; i++) channel.send({ t: 'records', n: i + 1, events: [] });
    expect(port.sent.filter((m) => m.t === 'readings')).toHaveLength(10);
    expect(channel.dropped.readings).toBe(990);
    expect(port.sent.filter((m) => m.t === 'records')).toHaveLength(50);
    channel.consumedThrough(10);
    expect(channel.routine({ t: 'readings', readings: [], device: {} as never }, 'readings')).toBe(true);
  });
});

describe('kernel channel: records of a cycle leave after the cycle', () => {
  it('holds records until the synchronous turn (the cycle and its coil writes) is over, and never lets a later message overtake them', async () => {
    const port = deafPort();
    const channel = new KernelChannel(port, 10);
    channel.sendAfterTurn({ t: 'records', n: 1, events: [] });
    channel.sendAfterTurn({ t: 'records', n: 2, holds: [] });
    // Still inside the cycle: nothing has been serialised for the pipe yet.
    expect(port.sent).toHaveLength(0);
    // The cycle's events go out in the same turn, after the coil writes: the records go first.
    channel.send({ t: 'events', events: [] });
    expect(port.sent.map((m) => (m.t === 'records' ? `records ${m.n}` : m.t))).toEqual(['records 1', 'records 2', 'events']);
    // Alone, they go after the turn: not in its microtasks (still the cycle's turn), at setImmediate.
    channel.sendAfterTurn({ t: 'records', n: 3, events: [] });
    expect(port.sent).toHaveLength(3);
    await Promise.resolve();
    expect(port.sent).toHaveLength(3);
    await new Promise((r) => setImmediate(r));
    expect(port.sent.at(-1)).toMatchObject({ t: 'records', n: 3 });
    expect(port.sent).toHaveLength(4);
  });

  it('a state asked for several times in one turn is built once, after the turn, behind the records and events of that turn', async () => {
    const port = deafPort();
    const channel = new KernelChannel(port, 10);
    let builds = 0;
    const build = () => {
      builds++;
      return { t: 'state', state: {} as never } as const;
    };
    channel.sendAfterTurn({ t: 'records', n: 1, events: [] });
    channel.stateAfterTurn(build);
    channel.sendAfterTurn({ t: 'events', events: [] });
    channel.stateAfterTurn(build);
    expect(builds).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(builds).toBe(1);
    expect(port.sent.map((m) => m.t)).toEqual(['records', 'events', 'state']);
    // A reply sent inside a later turn flushes what that turn held first: it never overtakes them.
    channel.sendAfterTurn({ t: 'records', n: 2, events: [] });
    channel.stateAfterTurn(build);
    channel.send({ t: 'reply', id: 1, ok: true, value: null, state: {} as never });
    expect(port.sent.map((m) => m.t)).toEqual(['records', 'events', 'state', 'records', 'state', 'reply']);
  });
});
