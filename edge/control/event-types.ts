// Safety event types for --kind help and validation: the engine's own list (edge/safety/events.ts),
// so a new event type shows up here without a second copy to keep in step.
import { SAFETY_EVENT_TYPE_LIST, type SafetyEventType } from '../safety/events.js';

export const SAFETY_EVENT_TYPES: readonly SafetyEventType[] = SAFETY_EVENT_TYPE_LIST;

const WELL_FORMED = /^[a-z][a-z0-9-]{0,63}$/;

export function isEventKind(text: unknown): text is SafetyEventType {
  return typeof text === 'string' && WELL_FORMED.test(text);
}
