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
