// Safety semantics end to end over real wires (scenario-rig.ts: simulated sensors on Modbus TCP,
// relay module behind RTU over TCP, a Firmata panel on a socat PTY, the real Gateway): start-up
// does not cry wolf, a hand override at the relay module is an alarm, an engine failure drives
// the fail-safe state per kind and latches until it is on record, and a fault outside the rules
// never costs protection.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, PIN, ScenarioRig } from './scenario-rig.js';

describe('safety semantics over real wires', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await rig?.close();
    rig = undefined;
  });

  it('start-up raises no false actuation alarm and never sounds the siren (outputs are cut until the bus had its chance)', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    const actuation = rig.gateway.safety.store.events({ types: ['alarm-on'] }).filter((e) => e.alarm === 'actuation');
    expect(actuation).toEqual([]);
    expect(rig.panel.changes.filter((c) => c.pin === PIN.siren && c.level === 1)).toEqual([]);
    // The start-up hold did its job meanwhile: released only once the points read good.
    expect(rig.gateway.safety.store.events({ types: ['release'] }).some((e) => e.key === 'startup:restart')).toBe(true);
  });

  it('override alarm: a coil switched on by hand at the module while commanded off is an alarm and an event, and is switched off again', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 1.6);
    await rig.waitCoil(COIL.heading, false);
    await waitFor(() => rig!.gateway.safety.outputs().find((o) => o.id === 'heading-power')?.confirmed === true, { what: 'cut confirmed' });
    // Somebody closes the relay by hand at the module (or the module resets into "on").
    rig.relay.set('coil0', true);
    const e = await rig.waitEvent((x) => x.type === 'output-overridden', 'output-overridden event');
    expect(e.message).toMatch(/^relay-1 coil0 \(heading-power\) found ON while commanded OFF; last seen as commanded \d+ ms earlier/);
    await rig.waitCoil(COIL.heading, false);
    const alarm = rig.gateway.safety.engine.alarms().find((a) => a.key === 'override:heading-power');
    expect(alarm).toMatchObject({ kind: 'output-overridden', severity: 'danger', point: 'FEED-H' });
    await rig.waitPin(PIN.siren, 1);
    // Recorded for the regulator: the event is in the store.
    await waitFor(() => rig!.gateway.safety.store.events({ types: ['output-overridden'] }).length === 1, { what: 'override stored' });
  });

  it('engine failure state per kind: power cut, local fan kept, siren/beacon/evacuation on; latched until recorded and a good cycle', async () => {
    rig = await ScenarioRig.start({ kernel: 'inline' });
    await rig.waitRunning();
    const spy = vi.spyOn(rig.gateway.inlineKernel!.loop.engine, 'evaluate').mockImplementation(() => {
      throw new Error('simulated engine bug');
    });
    await rig.waitCoil(COIL.heading, false);
    await rig.waitCoil(COIL.upstream, false);
    await rig.waitPin(PIN.siren, 1);
    await rig.waitPin(PIN.beacon, 1);
    await rig.waitPin(PIN.evacuation, 1);
    expect(rig.coil(COIL.fan)).toBe(true);
    // Reported truthfully.
    const heading = rig.gateway.safety.outputs().find((o) => o.id === 'heading-power')!;
    expect(heading).toMatchObject({ energize: false, holds: ['engine-failure'] });
    expect(rig.gateway.safety.failSafeState()).toMatchObject({ recorded: true, reason: expect.stringContaining('simulated engine bug') });
    // The engine works again: the latch opens after a good cycle, since the failure is on record.
    spy.mockRestore();
    await rig.waitCoil(COIL.heading, true);
    expect(rig.gateway.safety.failSafeState()).toBeUndefined();
    await waitFor(() => rig!.gateway.safety.store.events({ types: ['engine-failure', 'engine-recovered'] }).length === 2, { what: 'failure and recovery stored' });
    // How long it lasted, not a UTC ISO time (issue 14: every time shown is mine time).
    const [recovered] = rig.gateway.safety.store.events({ types: ['engine-recovered'] });
    expect(recovered!.message).toMatch(/works again after \d+ failed cycle\(s\) over \d+ s: outputs follow the rules again$/);
  });

  it('a throw outside the rules (accelerated polling, an event listener) costs neither protection nor the device its health', async () => {
    rig = await ScenarioRig.start({ kernel: 'inline' });
    await rig.waitRunning();
    // The poller switch the loop calls (inside the kernel) throws.
    const loopOptions = (rig.gateway.inlineKernel!.loop as unknown as { opts: { setAccelerated(deviceId: string, on: boolean): void } }).opts;
    vi.spyOn(loopOptions, 'setAccelerated').mockImplementation(() => {
      throw new Error('poller bug');
    });
    rig.gateway.safety.onEvents(() => {
      throw new Error('listener bug');
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      rig.methane(FIELD.t1, 1.6);
      await rig.waitCoil(COIL.heading, false);
      await rig.waitPin(PIN.siren, 1);
      expect(rig.gateway.safety.failSafeState()).toBeUndefined();
      expect(rig.gateway.status().devices.find((d) => d.id === 'ch4-t1')!.state).toBe('online');
      rig.methane(FIELD.t1, 0.3);
      await rig.waitCoil(COIL.heading, true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
