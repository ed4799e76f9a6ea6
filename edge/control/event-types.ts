// Every safety event type, for validating --kind (the engine declares them as a type only).
import type { SafetyEventType } from '../safety/events.js';

const ALL: Record<SafetyEventType, true> = {
  'alarm-on': true,
  'alarm-off': true,
  cut: true,
  lockout: true,
  release: true,
  'power-off': true,
  'power-on': true,
  'feed-abnormal': true,
  'feed-restored': true,
  'feed-dead': true,
  unlock: true,
  'unlock-refused': true,
  'remote-cut': true,
  'remote-release': true,
  'remote-expired': true,
  'remote-refused': true,
  acknowledge: true,
  'evacuation-on': true,
  'evacuation-off': true,
  restored: true,
  calibration: true,
  'events-dropped': true,
};

/** Checked against SafetyEventType at compile time: a new type must be added above. */
export const SAFETY_EVENT_TYPES: readonly SafetyEventType[] = Object.keys(ALL) as SafetyEventType[];
