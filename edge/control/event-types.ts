// Safety event types for --kind help and validation. The engine declares them as a type only and
// adds new ones over time, so any well-formed name is accepted; these are the ones listed.
import type { SafetyEventType } from '../safety/events.js';

export const SAFETY_EVENT_TYPES = [
  'alarm-on',
  'alarm-off',
  'cut',
  'lockout',
  'release',
  'power-off',
  'power-on',
  'feed-abnormal',
  'feed-restored',
  'feed-dead',
  'unlock',
  'unlock-refused',
  'remote-cut',
  'remote-release',
  'remote-expired',
  'remote-refused',
  'acknowledge',
  'evacuation-on',
  'evacuation-off',
  'restored',
  'calibration',
  'events-dropped',
] as const satisfies readonly SafetyEventType[];

const WELL_FORMED = /^[a-z][a-z0-9-]{0,63}$/;

export function isEventKind(text: unknown): text is SafetyEventType {
  return typeof text === 'string' && WELL_FORMED.test(text);
}
