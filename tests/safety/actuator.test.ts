import { describe, expect, it } from 'vitest';
import type { OutputDriver } from '../../drivers/output-driver.js';
import { OutputActuator } from '../../edge/safety/actuator.js';
import type { OutputDecision } from '../../edge/safety/engine-types.js';

/** A scripted output device: records writes, can be taken offline, can hold writes until released. */
class FakeDriver implements OutputDriver {
  online = true;
  readonly writes: string[] = [];
  refreshes = 0;
  private readonly states = new Map<string, boolean>();
  gate: Promise<void> | undefined;

  constructor(readonly id: string) {}

  async set(channel: string, on: boolean): Promise<boolean> {
    this.writes.push(`${channel}=${on ? 1 : 0}`);
    if (this.gate) await this.gate;
    if (!this.online) {
      this.states.delete(channel);
      return false;
    }
    this.states.set(channel, on);
    return true;
  }

  state(channel: string): boolean | undefined {
    return this.states.get(channel);
  }

  async refresh(): Promise<boolean> {
    this.refreshes++;
    return this.online;
  }

  /** The module lost its coils (e.g. power-cycled). */
  reset(): void {
    this.states.clear();
  }
}

const outputs = [
  { id: 'siren', device: 'relay-1', channel: 'c6' },
  { id: 'heading-power', device: 'relay-1', channel: 'c0' },
  { id: 'fan-power', device: 'relay-1', channel: 'c2' },
  { id: 'upstream-power', device: 'relay-1', channel: 'c1' },
];

function decisions(energize: Record<string, boolean>): OutputDecision[] {
  return outputs.map((o) => ({ output: o.id, device: o.device, channel: o.channel, kind: o.id === 'siren' ? 'siren' : 'power', energize: energize[o.id] ?? false, holds: [] }));
}

describe('output actuator', () => {
  it('writes cuts first, then energising, then signal outputs', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay } });
    const reports = await actuator.apply(decisions({ siren: true, 'fan-power': true, 'upstream-power': true, 'heading-power': false }));
    expect(relay.writes).toEqual(['c0=0', 'c2=1', 'c1=1', 'c6=1']);
    expect(reports.every((r) => r.confirmed)).toBe(true);
    expect(reports.map((r) => r.output)).toEqual(['siren', 'heading-power', 'fan-power', 'upstream-power']);
  });

  it('writes only what changed, and rewrites a channel the device lost', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: 0 });
    await actuator.apply(decisions({ 'heading-power': true }));
    relay.writes.length = 0;
    await actuator.apply(decisions({ 'heading-power': true }));
    expect(relay.writes).toEqual([]);
    expect(relay.refreshes).toBe(2);
    relay.reset();
    await actuator.apply(decisions({ 'heading-power': true }));
    expect(relay.writes.sort()).toEqual(['c0=1', 'c1=0', 'c2=0', 'c6=0']);
  });

  it('probes a dead device once per cycle and reports every output on it unconfirmed', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay } });
    relay.online = false;
    const reports = await actuator.apply(decisions({ 'heading-power': true }));
    expect(relay.writes).toHaveLength(1);
    expect(reports.every((r) => !r.confirmed)).toBe(true);
    expect(reports[0]!.error).toBe('device relay-1 unreachable');
    relay.online = true;
    const again = await actuator.apply(decisions({ 'heading-power': true }));
    expect(again.every((r) => r.confirmed)).toBe(true);
  });

  it('coalesces calls that arrive while a write is in flight: only the newest decisions are applied', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: Infinity });
    let open!: () => void;
    relay.gate = new Promise<void>((r) => (open = r));
    const first = actuator.apply(decisions({ 'heading-power': true }));
    const stale = actuator.apply(decisions({ 'heading-power': true, 'fan-power': true }));
    const newest = actuator.apply(decisions({ 'heading-power': false }));
    relay.gate = undefined;
    open();
    await first;
    const [a, b] = await Promise.all([stale, newest]);
    expect(a).toBe(b);
    expect(b.find((r) => r.output === 'heading-power')).toMatchObject({ energize: false, confirmed: true });
    expect(relay.state('c0')).toBe(false);
    expect(relay.writes).not.toContain('c2=1');
    await actuator.idle();
  });

  it('a power change arriving mid-run takes over after the write on the wire; the old run\'s callers get the new reports', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: Infinity });
    await actuator.apply(decisions({}));
    relay.writes.length = 0;
    let open!: () => void;
    relay.gate = new Promise<void>((r) => (open = r));
    // Power coming back: four writes to go, the first one on the wire...
    const old = actuator.apply(decisions({ 'heading-power': true, 'fan-power': true, 'upstream-power': true, siren: true }));
    // ...when a cut of the heading arrives: it goes next, not after the other three.
    const cut = actuator.apply(decisions({ 'heading-power': false, 'fan-power': true, 'upstream-power': true, siren: true }));
    relay.gate = undefined;
    open();
    const [a, b] = await Promise.all([old, cut]);
    expect(a).toBe(b);
    expect(relay.writes).toEqual(['c0=1', 'c0=0', 'c2=1', 'c1=1', 'c6=1']);
    expect(b.find((r) => r.output === 'heading-power')).toMatchObject({ energize: false, confirmed: true });
  });

  it('a cut arriving while a run is writing is sent at once, not when the run\'s write returns, and written once', async () => {
    const relay = new FakeDriver('relay-1');
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: Infinity });
    await actuator.apply(decisions({ 'heading-power': true }));
    relay.writes.length = 0;
    let open!: () => void;
    relay.gate = new Promise<void>((r) => (open = r));
    // The siren write is on the wire (a heartbeat toggle on the relay bus, in the field)...
    const siren = actuator.apply(decisions({ 'heading-power': true, siren: true }));
    // ...when the heading must be cut: the cut is with the device before the siren's answer comes,
    // so the bus master sends it next instead of a poll queued meanwhile.
    const cut = actuator.apply(decisions({ 'heading-power': false, siren: true }));
    expect(relay.writes).toEqual(['c6=1', 'c0=0']);
    relay.gate = undefined;
    open();
    const [, b] = await Promise.all([siren, cut]);
    expect(relay.writes).toEqual(['c6=1', 'c0=0']);
    expect(b.find((r) => r.output === 'heading-power')).toMatchObject({ energize: false, confirmed: true });
    expect(relay.state('c0')).toBe(false);
    await actuator.idle();
  });

  it('re-reads a device at most once per refreshMs, whatever the number of applications', async () => {
    const relay = new FakeDriver('relay-1');
    let now = 0;
    const actuator = new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: 1000, now: () => now });
    for (let i = 0; i < 20; i++) {
      now += 100;
      await actuator.apply(decisions({ 'heading-power': true }));
    }
    expect(relay.refreshes).toBe(2);
    expect(() => new OutputActuator({ outputs, drivers: { 'relay-1': relay }, refreshMs: -1 })).toThrow(/refreshMs must be a non-negative number/);
  });

  it('refuses an output without a driver', () => {
    expect(() => new OutputActuator({ outputs, drivers: {} })).toThrow(/output "siren" needs a driver for device "relay-1"/);
  });
});
