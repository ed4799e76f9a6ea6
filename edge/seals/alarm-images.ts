// The image an alarm carries: fetched from the camera's snapshot URL in the background when the
// alarm is raised, never awaited by a rule; an 'image' event says where it was stored, or why not.
import type { SealAlarm, SealRuleId } from './events.js';
import { SEAL_RULES } from './events.js';
import { type AlarmBook, alarmFields } from './alarm-book.js';
import type { SealEventLog } from './event-log.js';
import type { SealRuntime } from './seal-runtime.js';
import type { SnapshotSource } from './snapshot.js';

/** No image is possible when there is no video, or no camera. */
const NO_IMAGE_RULES: ReadonlySet<SealRuleId> = new Set(['video-lost', 'camera-offline', 'headcount-mismatch']);

export class AlarmImages {
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly rt: SealRuntime,
    private readonly alarms: AlarmBook,
    private readonly events: SealEventLog,
    private readonly snapshots: SnapshotSource | undefined,
    /** Writes what the image's event changed. */
    private readonly persist: () => void,
  ) {}

  capture(alarm: SealAlarm, now: number): void {
    if (!this.snapshots || !alarm.cameraId || NO_IMAGE_RULES.has(alarm.rule)) return;
    const cam = this.rt.cameras.get(alarm.cameraId);
    const url = cam?.cfg.snapshotUrl;
    if (!cam || !url || cam.state === 'offline') return;
    const cameraId = alarm.cameraId;
    const done = this.snapshots
      .capture({ cameraId, url, alarmId: alarm.id, wallTime: now })
      .then(
        (ref) => {
          if (this.closed) return;
          // The alarm may have ended meanwhile; the image still belongs to it.
          const live = this.alarms.get(alarm.key);
          if (live && live.id === alarm.id) live.imageRef = ref;
          this.events.emit({ type: 'image', ...alarmFields(alarm), cameraId, imageRef: ref, message: `${SEAL_RULES[alarm.rule]}: image stored` }, this.rt.clock.wall());
        },
        (err: unknown) => {
          if (this.closed) return;
          const why = err instanceof Error ? err.message : String(err);
          this.rt.log?.warn({ camera: cameraId, alarm: alarm.id, err: why }, 'alarm image not stored');
          this.events.emit({ type: 'image', ...alarmFields(alarm), cameraId, reason: why, message: `${SEAL_RULES[alarm.rule]}: no image (${why})` }, this.rt.clock.wall());
        },
      )
      .finally(() => {
        this.inflight.delete(done);
        if (!this.closed) this.persist();
      });
    this.inflight.add(done);
  }

  /** Waits for every fetch in flight (including ones started meanwhile). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Results arriving after this are ignored: the state on disk is final. */
  close(): void {
    this.closed = true;
  }
}
