// Behaviour 9 over real Modbus and real Firmata: relay-module coils confirmed by read-back, the
// panel board's buzzer / beacon / evacuation relay / acknowledge button, an unreachable module
// (alarm, nothing confirmed), and the watchdog heartbeat that toggles steadily and stops when the
// safety loop stalls.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, PIN, ScenarioRig } from './scenario-rig.js';

describe('scenario 9: actuators', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await rig?.close();
    rig = undefined;
  });

  const output = (id: string) => rig!.gateway.safety.outputs().find((o) => o.id === id)!;

  it('relay coils are confirmed by read-back, and a coil the module lost is written again', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 1.6);
    await rig.waitCoil(COIL.heading, false);
    await waitFor(() => output('heading-power').confirmed === true && output('heading-power').energize === false, { what: 'cut confirmed' });
    rig.methane(FIELD.t1, 0.3);
    await rig.waitCoil(COIL.heading, true);
    // The module drops a coil by itself (brown-out): the next read-back notices, the coil is rewritten.
    rig.relay.set(`coil${COIL.fan}`, false);
    await rig.waitCoil(COIL.fan, true, 3000, 'fan coil rewritten after the module lost it');
  });

  it('panel board: the buzzer sounds for danger, the acknowledge button silences it, the beacon stays until the alarm ends', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 1.6);
    await rig.waitPin(PIN.siren, 1);
    await rig.waitPin(PIN.beacon, 1);
    await rig.waitPin(PIN.evacuation, 1);
    rig.press(PIN.acknowledge, 1);
    await rig.waitPin(PIN.siren, 0, 3000, 'siren silenced by the button');
    rig.press(PIN.acknowledge, 0);
    expect(rig.pin(PIN.beacon)).toBe(1);
    // Events reach the gateway process after the kernel's turn, so the record may trail the pin.
    expect(await rig.waitEvent((e) => e.type === 'acknowledge', 'acknowledge event')).toMatchObject({ operator: 'panel.duty' });
    // A new danger alarm sounds again.
    rig.methane(FIELD.t2, 1.2);
    await rig.waitPin(PIN.siren, 1);
    rig.methane(FIELD.t1, 0.3);
    rig.methane(FIELD.t2, 0.3);
    await rig.waitPin(PIN.beacon, 0);
    await rig.waitPin(PIN.siren, 0);
    await rig.waitPin(PIN.evacuation, 0);
  });

  it('an unreachable relay module raises an actuation alarm and nothing on it counts as confirmed; it recovers by itself', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.relay.setWireFault('no-response');
    const alarm = await waitFor(() => rig!.gateway.safety.engine.alarms().find((a) => a.kind === 'actuation'), { timeoutMs: 5000, what: 'actuation alarm' });
    expect(alarm.message).toMatch(/not confirmed \(device relay-1 unreachable\)/);
    await rig.waitPin(PIN.beacon, 1);
    await waitFor(() => output('heading-power').confirmed === false, { what: 'heading power unconfirmed' });
    expect(output('heading-power').error).toMatch(/unreachable/);
    rig.relay.setWireFault(null);
    await waitFor(() => rig!.gateway.safety.engine.alarms().every((a) => a.kind !== 'actuation'), { timeoutMs: 5000, what: 'actuation alarms cleared' });
    await waitFor(() => output('heading-power').confirmed === true, { what: 'confirmed again' });
  });

  it('an unplugged panel board is an actuation alarm; plugged in again it comes back and is driven without a restart', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    await rig.unplugPanel();
    const alarm = await waitFor(() => rig!.gateway.safety.engine.alarms().find((a) => a.kind === 'actuation' && a.output === 'siren'), { timeoutMs: 5000, what: 'actuation alarm for the panel' });
    expect(alarm.message).toMatch(/not confirmed/);
    await waitFor(() => output('beacon').confirmed === false, { what: 'beacon unconfirmed' });
    await rig.replugPanel();
    // The beacon is lit for the actuation alarm itself once the panel is back, then goes out.
    await waitFor(() => rig!.gateway.safety.engine.alarms().every((a) => a.kind !== 'actuation'), { timeoutMs: 15_000, what: 'panel confirmed again' });
    await rig.waitPin(PIN.beacon, 0, 5000);
    rig.methane(FIELD.t1, 1.2);
    await rig.waitPin(PIN.siren, 1, 5000, 'siren on the replugged panel');
  });

  it('the heartbeat coil toggles at the loop tick and stops when the loop stalls; an engine failure cuts power (the local fan keeps ventilating) and stops it too', async () => {
    // The kernel on this thread: the test stalls the kernel's own event loop and breaks its engine.
    rig = await ScenarioRig.start({ kernel: 'inline' });
    await rig.waitRunning();
    const beats = () => rig!.coilChanges.filter((c) => c.coil === COIL.heartbeat);
    const before = beats().length;
    await waitFor(() => beats().length >= before + 6, { what: 'six heartbeat toggles' });
    const steady = beats().slice(before);
    const gaps = steady.slice(1).map((b, i) => b.at - steady[i]!.at);
    expect(steady.every((b, i) => i === 0 || b.on !== steady[i - 1]!.on)).toBe(true);
    expect(Math.min(...gaps)).toBeGreaterThan(150);
    expect(Math.max(...gaps)).toBeLessThan(500);

    // The event loop stalls for 1.2 s: no toggle in that time, so an external watchdog trips.
    const stallStart = performance.now();
    while (performance.now() - stallStart < 1200);
    const n = beats().length;
    await waitFor(() => beats().length >= n + 2, { what: 'heartbeat resumes' });
    const afterStall = beats().find((b) => b.at > stallStart)!;
    const lastBefore = beats().filter((b) => b.at <= stallStart).at(-1)!;
    expect(afterStall.at - lastBefore.at).toBeGreaterThanOrEqual(1200);

    // The engine throws (a bug): power is cut but the local fan keeps running (clause f), the
    // siren sounds, the heartbeat freezes.
    vi.spyOn(rig.gateway.inlineKernel!.loop.engine, 'evaluate').mockImplementation(() => {
      throw new Error('simulated engine bug');
    });
    await rig.waitCoil(COIL.heading, false);
    await rig.waitCoil(COIL.upstream, false);
    await rig.waitPin(PIN.siren, 1);
    expect(rig.coil(COIL.fan)).toBe(true);
    // Watch the heartbeat coil for a second (four ticks): at most the write already in flight lands.
    const frozenFrom = beats().length;
    await observeFor(1000);
    expect(beats().length - frozenFrom).toBeLessThanOrEqual(1);
  });
});

/** A measurement window for "nothing happens" assertions (not synchronisation: nothing is awaited). */
function observeFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
