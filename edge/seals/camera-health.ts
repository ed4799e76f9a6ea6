// Whether each seal camera can be trusted: offline after a run of failed reads, back online at
// the first good one, and its tamper flags (video lost, occluded, displaced, blurred; domain.md
// §4 camera tamper) each an alarm of its own with a start and an end.
import { type SealSample, TAMPER_FLAGS, type TamperFlag } from '../../drivers/seal-camera.js';
import type { AlarmBook } from './alarm-book.js';
import { SEAL_RULES, type SealRuleId } from './events.js';
import type { CameraRt, SealRuntime } from './seal-runtime.js';

const TAMPER_RULES: Record<TamperFlag, SealRuleId> = { videoLost: 'video-lost', occluded: 'occluded', displaced: 'displaced', blurred: 'blurred' };
const TAMPER_TEXT: Record<TamperFlag, string> = { videoLost: 'video lost', occluded: 'lens occluded', displaced: 'camera displaced', blurred: 'image blurred' };

export class CameraHealth {
  constructor(
    private readonly rt: SealRuntime,
    private readonly alarms: AlarmBook,
  ) {}

  /** A good read: the camera is online, and its offline alarm (if any) ends. */
  answered(cam: CameraRt, now: number): void {
    const wasOffline = this.alarms.get(`camera-offline:${cam.cfg.device}`);
    cam.state = 'online';
    cam.failures = 0;
    cam.lastError = null;
    cam.lastSampleWall = now;
    if (wasOffline) this.alarms.clear(wasOffline, `${cam.cfg.position}: camera answers again`, now);
  }

  /** The tamper flags of a good read: each raises or ends its own alarm. */
  checkTamper(cam: CameraRt, sample: SealSample, now: number): void {
    const cameraId = cam.cfg.device;
    cam.tamper = { ...sample.tamper };
    for (const flag of TAMPER_FLAGS) {
      const key = `${TAMPER_RULES[flag]}:${cameraId}`;
      const active = this.alarms.get(key);
      if (sample.tamper[flag] && !active) {
        this.alarms.raise(TAMPER_RULES[flag], cameraId, { shaftMouth: cam.mouth.cfg.id, cameraId, position: cam.cfg.position, message: `${SEAL_RULES[TAMPER_RULES[flag]]}: ${cam.cfg.position} (${cam.mouth.cfg.name}) ${TAMPER_TEXT[flag]}` }, now);
      } else if (!sample.tamper[flag] && active) {
        this.alarms.clear(active, `${cam.cfg.position}: ${TAMPER_TEXT[flag]} no longer`, now);
      }
    }
  }

  /** A failed read; offlineAfterFailures in a row make the camera offline, with an alarm. */
  readFailed(cam: CameraRt, error: unknown, now: number): void {
    const cameraId = cam.cfg.device;
    cam.failures++;
    cam.lastError = error instanceof Error ? error.message : String(error);
    if (cam.failures >= this.rt.config.cameras.offlineAfterFailures && cam.state !== 'offline') {
      cam.state = 'offline';
      if (!this.alarms.has(`camera-offline:${cameraId}`)) {
        this.alarms.raise('camera-offline', cameraId, { shaftMouth: cam.mouth.cfg.id, cameraId, position: cam.cfg.position, message: `${SEAL_RULES['camera-offline']}: ${cam.cfg.position} (${cam.mouth.cfg.name}) not answering: ${cam.lastError}` }, now);
      }
    }
  }
}
