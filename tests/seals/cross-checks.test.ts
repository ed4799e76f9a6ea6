// Seal vs personnel positioning over real Modbus: person without card over a sliding window,
// headcount mismatch beyond tolerance (sustained, no flapping), seal counting while positioning is silent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderSeals } from '../../edge/seals/render.js';
import { MAIN_CAM, type SealRig, startSealRig } from './rig.js';

let rig: SealRig;
beforeEach(async () => {
  rig = await startSealRig();
  rig.personnel.lastSighting = rig.clock.wall();
  await rig.step();
});
afterEach(async () => {
  await rig.close();
});

/** Positioning sees cards all the time (someone is always underground). */
const alive = () => (rig.personnel.lastSighting = rig.clock.wall());

describe('person without card (人员未带卡)', () => {
  it('alarms when the seal counts more entries than cards checked in at that mouth, once the grace time is over', async () => {
    rig.mainCam.personIn(3);
    await rig.step();
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall() + 2_000, 2);
    for (let i = 0; i < 9; i++) await rig.step();
    expect(rig.of('alarm-on', 'person-without-card')).toEqual([]);
    await rig.step();
    const [on] = rig.of('alarm-on', 'person-without-card');
    expect(on).toMatchObject({ shaftMouth: 'main', cameraId: MAIN_CAM, position: '主井口 井口房', count: 1 });
    expect(on!.message).toMatch(/counted 3 persons entering .* only 2 card check-ins at ST-MAIN/);
  });

  it('matches a card that checked in shortly before the camera counted its bearer, all through the window', async () => {
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall() - 5_000, 1);
    rig.mainCam.personIn(1);
    for (let t = 0; t < 80; t++) await rig.step();
    expect(rig.of('alarm-on', 'person-without-card')).toEqual([]);
  });

  it('ends the alarm when the window has slid past the unmatched entry', async () => {
    rig.mainCam.personIn(1);
    // Counted at this read; the grace time runs from here.
    await rig.step();
    await rig.step(10_000);
    expect(rig.of('alarm-on', 'person-without-card')).toHaveLength(1);
    await rig.step(49_000);
    expect(rig.of('alarm-off', 'person-without-card')).toEqual([]);
    await rig.step(1_000);
    expect(rig.of('alarm-off', 'person-without-card')).toHaveLength(1);
  });

  it('does not judge while the card readers are offline (check-ins unknown, not zero)', async () => {
    rig.personnel.online = false;
    rig.mainCam.personIn(2);
    await rig.step(11_000);
    expect(rig.of('alarm-on', 'person-without-card')).toEqual([]);
  });

  it('with a shaft-mouth reader offline (e.g. dead from power-up) the checks say unknown and name the reader', async () => {
    rig.personnel.online = false;
    rig.personnel.offline = ['station ST-MAIN (reader 1) offline'];
    await rig.step(1_000);
    const state = rig.engine.state();
    expect(state).toMatchObject({ positioningOnline: false, positioningHeadcount: null, positioningUnknownBecause: 'card and headcount checks unknown: station ST-MAIN (reader 1) offline' });
    expect(renderSeals(state)).toContain('positioning unknown (card and headcount checks unknown: station ST-MAIN (reader 1) offline)');
    rig.personnel.online = true;
    rig.personnel.offline = [];
    expect(rig.engine.state().positioningUnknownBecause).toBeNull();
  });
});

describe('headcount mismatch (封条人数与定位人数不符)', () => {
  it('alarms when seal and positioning differ beyond the tolerance for the sustain time, and ends when they agree again', async () => {
    rig.mainCam.personIn(5);
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall(), 5);
    rig.personnel.underground = 5;
    await rig.step();
    expect(rig.engine.sealHeadcount).toBe(5);
    // Two cards are lost to positioning: difference 2 > tolerance 1.
    rig.personnel.underground = 3;
    await rig.step();
    await rig.step(29_000);
    expect(rig.of('alarm-on', 'headcount-mismatch')).toEqual([]);
    await rig.step(1_000);
    const [on] = rig.of('alarm-on', 'headcount-mismatch');
    expect(on).toMatchObject({ count: 2 });
    expect(on!.message).toMatch(/seal 5 \(shift baseline 0\), positioning 3, tolerance ±1/);
    rig.personnel.underground = 5;
    await rig.step();
    await rig.step(29_000);
    expect(rig.of('alarm-off', 'headcount-mismatch')).toEqual([]);
    await rig.step(1_000);
    expect(rig.of('alarm-off', 'headcount-mismatch')).toHaveLength(1);
  });

  it('does not flap: a difference that comes and goes within the sustain time raises nothing', async () => {
    rig.mainCam.personIn(4);
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall(), 4);
    for (let i = 0; i < 6; i++) {
      rig.personnel.underground = i % 2 === 0 ? 0 : 4;
      alive();
      await rig.step(20_000);
    }
    expect(rig.of('alarm-on', 'headcount-mismatch')).toEqual([]);
  });

  it('is within tolerance for a difference of exactly the tolerance', async () => {
    rig.mainCam.personIn(3);
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall(), 3);
    rig.personnel.underground = 2;
    await rig.step(60_000);
    await rig.step(60_000);
    expect(rig.of('alarm-on', 'headcount-mismatch')).toEqual([]);
  });
});

describe('seal counting while positioning is silent (封条计数而定位无数据)', () => {
  it('alarms when persons cross and no card is seen, and ends when positioning sees cards again', async () => {
    rig.clock.advance(120_000);
    rig.mainCam.personIn(2);
    await rig.step();
    await rig.step(9_000);
    expect(rig.of('alarm-on', 'positioning-silent')).toEqual([]);
    await rig.step(1_000);
    const [on] = rig.of('alarm-on', 'positioning-silent');
    expect(on).toMatchObject({ cameraId: MAIN_CAM, count: 2 });
    expect(on!.message).toMatch(/no card seen for \d+ s/);
    alive();
    await rig.step();
    expect(rig.of('alarm-off', 'positioning-silent')).toHaveLength(1);
  });

  it('alarms when the readers are offline', async () => {
    rig.personnel.online = false;
    rig.mainCam.personOut(1);
    await rig.step();
    await rig.step(10_000);
    expect(rig.of('alarm-on', 'positioning-silent')[0]!.message).toMatch(/positioning readers offline/);
  });

  it('stays quiet when the crossing person\'s card is seen within the grace time', async () => {
    rig.clock.advance(120_000);
    rig.mainCam.personIn(1);
    await rig.step();
    rig.personnel.checkIn('ST-MAIN', rig.clock.wall() + 1_000);
    for (let i = 0; i < 20; i++) await rig.step();
    expect(rig.of('alarm-on', 'positioning-silent')).toEqual([]);
  });
});
