// The polling loop on real timers: cameras are read on their own intervals and the engine ticks;
// stop() leaves no timer or read behind.
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../board-configs/profiles.js';
import { SealCameraReader } from '../../drivers/seal-camera.js';
import { SealMonitor, sealCameraSources } from '../../edge/seals/monitor.js';
import { waitFor } from '../helpers/wait-for.js';
import { AUX_CAM, MAIN_CAM, type SealRig, startSealRig } from './rig.js';

let rig: SealRig | undefined;
let monitor: SealMonitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  await rig?.close();
  monitor = undefined;
  rig = undefined;
});

describe('SealMonitor', () => {
  it('reads every camera on its interval and feeds the engine until stopped', async () => {
    const r = (rig = await startSealRig());
    const profile = loadProfile('seal-camera');
    monitor = new SealMonitor({
      engine: r.engine,
      cameras: [
        { id: MAIN_CAM, reader: new SealCameraReader(profile, 1), port: r.master, pollMs: 100 },
        { id: AUX_CAM, reader: new SealCameraReader(profile, 2), port: r.master, pollMs: 100 },
      ],
      tickMs: 50,
    });
    monitor.start();
    await waitFor(() => r.engine.state().cameras.every((c) => c.state === 'online'), { what: 'both cameras read' });
    r.mainCam.personIn(2);
    await waitFor(() => r.of('crossing').length > 0, { what: 'a crossing' });
    expect(r.of('crossing').map((e) => e.count)).toEqual([2]);
    await monitor.stop();
    const requests = r.server.requests;
    r.mainCam.personIn(1);
    // An observation window, not synchronisation: at 100 ms intervals it would see ~3 polls per camera.
    await new Promise((res) => setTimeout(res, 300));
    expect(r.server.requests).toBe(requests);
  });

  it('builds its camera sources from a loaded config and refuses cameras the engine does not know', async () => {
    const r = (rig = await startSealRig());
    const profiles = new Map([['seal-camera', loadProfile('seal-camera')]]);
    const devicesById = new Map([
      [MAIN_CAM, { id: MAIN_CAM, bus: 'b1', unit: 1, profile: 'seal-camera', pollMs: 500 }],
      [AUX_CAM, { id: AUX_CAM, bus: 'b2', unit: 9, profile: 'seal-camera', pollMs: 2000 }],
    ]);
    const ports: string[] = [];
    const sources = sealCameraSources({ config: { seals: r.engine.config }, devicesById, profiles }, (bus) => {
      ports.push(bus);
      return r.master;
    });
    expect(sources.map((s) => [s.id, s.reader.unit, s.pollMs])).toEqual([
      [MAIN_CAM, 1, 500],
      [AUX_CAM, 9, 2000],
    ]);
    expect(ports).toEqual(['b1', 'b2']);
    expect(sealCameraSources({ config: {}, devicesById, profiles }, () => r.master)).toEqual([]);
    expect(() => new SealMonitor({ engine: r.engine, cameras: [{ ...sources[0]!, id: 'cam-x' }] })).toThrow(/"cam-x" is not a seal camera of the engine/);
    expect(() => new SealMonitor({ engine: r.engine, cameras: [{ ...sources[0]!, pollMs: 10 }] })).toThrow(/pollMs must be >= 100/);
  });
});
