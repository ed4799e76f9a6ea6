// Personnel positioning and electronic seals inside the running gateway, over real wires: cards
// heard by the simulated readers (framed line over TCP, a Modbus-FIFO reader) become the headcount in
// gateway.status(); a methane cut-off in the heading evacuates it (sirens on the simulated relay
// module, pages to the cards, the list shrinking as people leave, "evacuation complete"); a person
// the seal camera counts without a card raises person-without-card.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { RuntimeRig } from './rig.js';

let rig: RuntimeRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

// Roster tags of the demo config; 1001 is the heading's responsible team leader.
const FACE_CREW = [1001, 1002, 1003];
const ROADWAY = 1004;
const FACE = 5;
const ROADWAY_READER = 4;
const SHAFT_BOTTOM = 3;
const PUMP_ROOM = 7;
const AUX_SHAFT = 8;

describe('gateway with personnel and seals', () => {
  it('shows the headcount per area from the framed line and the Modbus-FIFO reader in gateway.status() and the people section', async () => {
    rig = await RuntimeRig.start();
    for (const tag of FACE_CREW) rig.net.move(tag, FACE);
    rig.net.move(ROADWAY, ROADWAY_READER);
    rig.net.move(1014, PUMP_ROOM);
    const people = await waitFor(() => {
      const p = rig!.people();
      return p.underground === 5 && p.areas.find((a) => a.id === 'pump-room')?.count === 1 ? p : undefined;
    }, { what: 'five people underground, one of them in the pump room' });
    expect(Object.fromEntries(people.areas.filter((a) => a.count > 0).map((a) => [a.id, a.count]))).toEqual({ 'heading-face': 3, 'heading-roadway': 1, 'pump-room': 1 });
    expect(people.areas.find((a) => a.id === 'heading-face')?.rated).toBe(12);
    expect(people.stations.find((s) => s.reader === PUMP_ROOM)).toMatchObject({ state: 'online', via: 'fifo' });
    expect(people.line?.open).toBe(true);
    const text = rig.sectionText('people');
    expect(text).toContain('underground 5 / rated 120');
    expect(text).toMatch(/heading-face\s+3101掘进工作面\s+key\s+3\s+12/);
    expect(text).toContain('evacuation: none');
  });

  it('a T1 methane cut-off evacuates the heading: sirens on the relay module, cards paged, the list shrinks to "evacuation complete"', async () => {
    rig = await RuntimeRig.start();
    for (const tag of FACE_CREW) rig.net.move(tag, FACE);
    rig.net.move(ROADWAY, ROADWAY_READER);
    await waitFor(() => rig!.people().underground === 4, { what: 'four people in the heading' });
    // Before the excursion: power on (the interlocks have fresh readings), the heading siren quiet.
    await waitFor(() => rig!.coil('coil0') && !rig!.coil('coil2'), { what: 'heading power energised and its siren off' });

    rig.sim.device('field-bus', 1).set('value', 2.1);
    const evac = await waitFor(() => rig!.people().evacuation ?? undefined, { what: 'an evacuation' });
    expect(evac.areas.map((a) => a.area).sort()).toEqual(['heading-face', 'heading-roadway']);
    expect(evac.triggers[0]).toMatchObject({ source: 'cutoff' });
    expect(evac.insideCount).toBe(4);
    // The interlock cut the heading power; the evacuation's siren and beacon (coils 2 and 3) came on.
    await waitFor(() => !rig!.coil('coil0') && rig!.coil('coil2') && rig!.coil('coil3'), { what: 'power cut, heading siren and beacon on at the relay module' });
    // The cards in the heading were paged to evacuate through their readers.
    await waitFor(() => rig!.net.pages.some((p) => p.mode === 'evacuate' && p.reader === FACE && p.result === 'delivered'), { what: 'an evacuate page delivered at the face' });
    expect(rig.sectionText('people')).toMatch(/EVACUATION .*: 4 still inside/);

    // People walk out to the shaft bottom one by one: the list shrinks.
    const leaving = [...FACE_CREW, ROADWAY];
    for (let i = 0; i < leaving.length; i++) {
      rig.net.move(leaving[i]!, SHAFT_BOTTOM);
      const left = leaving.length - i - 1;
      await waitFor(() => rig!.people().evacuation?.insideCount === left, { what: `${left} still inside` });
    }
    const done = rig.people().evacuation!;
    expect(done.complete).toBe(true);
    expect(done.evacuees.every((e) => e.exitWall !== null)).toBe(true);
    expect(rig.people().recentEvents.some((e) => e.type === 'evacuation-complete')).toBe(true);
    expect(rig.sectionText('people')).toMatch(/EVACUATION .*: COMPLETE/);
    // Methane back to normal and the interlock alarm acknowledged: the interlocks no longer sound the
    // sirens (the general siren, coil 6, falls silent), but the evacuation keeps its own siren on
    // until an operator stands it down.
    rig.sim.device('field-bus', 1).set('value', 0.3);
    await waitFor(() => !rig!.gateway.status().alarms.some((a) => a.point === 'F001A01' && a.kind !== 'integrity'), { what: 'the T1 alarm over' });
    await rig.gateway.safety.acknowledge('dispatch-zhang');
    await waitFor(() => !rig!.coil('coil6'), { what: 'the interlocks silencing the general siren' });
    expect(rig.coil('coil2')).toBe(true);
    rig.personnel.engine.endEvacuation({ by: 'dispatch-zhang', reason: 'heading clear, methane back to normal' });
    await waitFor(() => !rig!.coil('coil2'), { what: 'the heading siren off after the stand-down' });
    expect(rig.people().evacuation).toBeNull();
  });

  it('a person the auxiliary shaft camera counts without a card raises person-without-card; a card walking in does not', async () => {
    rig = await RuntimeRig.start();
    await waitFor(() => rig!.seals().cameras.every((c) => c.state === 'online') && rig!.seals().positioningOnline, { what: 'cameras online and positioning readers up' });
    // A miner with a card walks in past the aux shaft reader: the linked camera counts him too.
    rig.net.move(1012, AUX_SHAFT);
    await waitFor(() => rig!.seals().shaftMouths.find((m) => m.id === 'aux')?.totals.peopleIn === 1, { what: 'the aux shaft camera counting the carded miner' });
    // Someone without a card follows him in.
    rig.sim.sealCamera('seal-bus', 2).personIn();
    const alarm = await waitFor(() => rig!.seals().alarms.find((a) => a.rule === 'person-without-card'), { what: 'a person-without-card alarm' });
    // Two entries, one card check-in: exactly one person unaccounted for.
    expect(alarm).toMatchObject({ shaftMouth: 'aux', count: 1 });
    expect(rig.seals().shaftMouths.find((m) => m.id === 'aux')?.totals.peopleIn).toBe(2);
    expect(rig.sectionText('seals')).toMatch(/person-without-card/);
  });
});
