// Counting persons and vehicles through the shaft mouths: the camera's counters become crossings
// in the mine's direction (a camera mounted the other way round counts "in" for persons leaving),
// each counted once across gateway and camera restarts thanks to the persisted baseline.
// Implausible jumps and the crossings across a camera restart are reported, not counted.
import { type CounterEvent, SEAL_COUNTERS, type SealCounterName, type SealSample } from '../../drivers/seal-camera.js';
import type { SealEventLog } from './event-log.js';
import type { IllegalProduction } from './illegal-production.js';
import type { PersonnelChecks } from './personnel-checks.js';
import { type CameraRt, plural, type SealRuntime } from './seal-runtime.js';

const SWAPPED: Record<SealCounterName, SealCounterName> = { peopleIn: 'peopleOut', peopleOut: 'peopleIn', vehiclesIn: 'vehiclesOut', vehiclesOut: 'vehiclesIn' };

export class CrossingCount {
  constructor(
    private readonly rt: SealRuntime,
    private readonly events: SealEventLog,
    private readonly production: IllegalProduction,
    private readonly checks: PersonnelChecks,
    private readonly baselineRefreshMs: number,
  ) {}

  /** The counters of a good read: crossings counted, the baseline kept current on disk. */
  countSample(cam: CameraRt, sample: SealSample, now: number): void {
    const changed = cam.raw === null || cam.bootCount !== sample.bootCount || SEAL_COUNTERS.some((c) => cam.raw![c] !== sample.counters[c]);
    cam.raw = { ...sample.counters };
    cam.bootCount = sample.bootCount;
    for (const e of cam.counter.update(sample)) this.onCounterEvent(cam, e, now);
    // The baseline is what makes a restart count each crossing once: keep it current on disk.
    if (changed || cam.persistedWall === null || now - cam.persistedWall >= this.baselineRefreshMs) {
      this.rt.dirty = true;
      cam.persistedWall = now;
    }
  }

  private onCounterEvent(cam: CameraRt, e: CounterEvent, now: number): void {
    const mouth = cam.mouth;
    const base = { shaftMouth: mouth.cfg.id, cameraId: cam.cfg.device, position: cam.cfg.position };
    if (e.type === 'restarted') {
      const u = e.unverified;
      const moved = u.peopleIn + u.peopleOut + u.vehiclesIn + u.vehiclesOut;
      this.events.emit({
        type: 'camera-restarted',
        ...base,
        reason: e.reason,
        count: moved,
        message: `${cam.cfg.position}: camera restarted (${e.reason}); counting resumes from its new counters${moved > 0 ? `, ${moved} crossings across the restart could not be verified and were not counted (people in ${u.peopleIn}, out ${u.peopleOut}, vehicles in ${u.vehiclesIn}, out ${u.vehiclesOut})` : ''}`,
      }, now);
      return;
    }
    if (e.type === 'jump') {
      this.events.emit({
        type: 'counter-jump',
        ...base,
        counter: mineDirection(cam, e.counter),
        message: `${cam.cfg.position}: ${e.counter} jumped from ${e.from} to ${e.to}, beyond the ${e.allowance} crossings possible since the last read; not counted`,
      }, now);
      return;
    }
    const counter = mineDirection(cam, e.counter);
    mouth.totals[counter] += e.count;
    this.rt.dirty = true;
    const person = counter === 'peopleIn' || counter === 'peopleOut';
    const inward = counter === 'peopleIn' || counter === 'vehiclesIn';
    const what = person ? plural(e.count, 'person', 'persons') : plural(e.count, 'vehicle', 'vehicles');
    this.events.emit({ type: 'crossing', ...base, counter, count: e.count, message: `${what} ${inward ? 'entered' : 'left'} the mine at ${mouth.cfg.name} (${cam.cfg.position})` }, now);
    if (person) this.checks.notePersonCrossing({ wall: now, count: e.count, cameraId: cam.cfg.device });
    if (counter === 'peopleIn') mouth.entries.push({ wall: now, count: e.count, cameraId: cam.cfg.device });
    this.production.onCrossing(mouth, { cam, count: e.count, what, inward }, now);
  }
}

/** A camera mounted the other way round counts "in" for persons leaving the mine. */
function mineDirection(cam: CameraRt, counter: SealCounterName): SealCounterName {
  return cam.cfg.inMeans === 'into-mine' ? counter : SWAPPED[counter];
}
