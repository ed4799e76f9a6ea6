// Personnel events: every alarm start/end, entry into and exit from the mine, and each step of an
// evacuation. They go to the runtime (actions.emit → log, sync, status view) and to the durable
// journal, in the order the engine raised them.
import type { PersonnelAlarm } from './alarms.js';

export type EvacuationSource = 'cutoff' | 'manual' | 'upstream';
export const EVACUATION_SOURCES: readonly EvacuationSource[] = ['cutoff', 'manual', 'upstream'];
export type AckVia = 'button' | 'card';

export type PersonnelEventType =
  | 'alarm-start'
  | 'alarm-end'
  /** Flag 1 (underground) reached: 入井. */
  | 'entered-mine'
  /** Flag 2 (out) reached: 出井. */
  | 'left-mine'
  | 'evacuation-start'
  /** More areas added to the running evacuation. */
  | 'evacuation-widened'
  /** Someone is (again) inside an evacuated area. */
  | 'evacuee-added'
  /** Someone left the evacuated areas: their exit time is recorded. */
  | 'evacuee-out'
  /** Nobody is left in the evacuated areas. */
  | 'evacuation-complete'
  /** An operator stood the evacuation down. */
  | 'evacuation-end'
  /** The responsible person of an area was paged to acknowledge (叫应). */
  | 'ack-request'
  | 'acknowledged'
  /** The acknowledgement is overdue: wider sirens and an upstream alarm. */
  | 'escalated'
  /** Still no acknowledgement: the responsible person is called again. */
  | 'recall'
  /** A tag that is not in the roster, or a reader that is not a configured station (reported once each). */
  | 'unknown-card'
  | 'unknown-reader'
  /** State reloaded from the store at start. */
  | 'restored'
  /** The journal overflowed while the store was unavailable. */
  | 'events-dropped';

export interface PersonnelEvent {
  /** Per-process sequence number, in the order the engine raised them. */
  seq: number;
  type: PersonnelEventType;
  wallTime: number;
  monoTime: number;
  tag?: number;
  card?: string;
  name?: string;
  area?: string;
  areas?: string[];
  reader?: number;
  /** The alarm as it stands after the change (alarm-start / alarm-end / escalated). */
  alarm?: PersonnelAlarm;
  evacuationId?: string;
  source?: EvacuationSource;
  by?: string;
  via?: AckVia;
  reason?: string;
  /** People still inside the evacuated areas after this event. */
  inside?: number;
  /** How many: events lost (events-dropped), people and alarms reloaded (restored). */
  count?: number;
  outputs?: string[];
  message: string;
}
