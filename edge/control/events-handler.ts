// `events`: the safety event log (alarms, cuts, releases, remote commands, calibrations …) from
// the gateway's store, newest first.
import { SAFETY_EVENT_TYPES } from './event-types.js';
import type { SafetyEvent, SafetyEventType } from '../safety/events.js';
import type { EventQuery } from '../safety/store.js';
import { enumArg, optionalIntArg, optionalStringArg } from './args.js';
import type { ControlHandler } from './context.js';

export const eventQueryDefaults = { limit: 50, maxLimit: 10_000 } as const;

/** Request args → a store query (shared with the CLI's read-only fallback). */
export function eventQueryOf(args: Record<string, unknown>): EventQuery {
  const query: EventQuery = { limit: optionalIntArg(args, 'limit', 1, eventQueryDefaults.maxLimit) ?? eventQueryDefaults.limit };
  const since = optionalIntArg(args, 'sinceWall', 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) query.sinceWall = since;
  const point = optionalStringArg(args, 'point');
  if (point !== undefined) query.point = point;
  if (args.kind !== undefined && args.kind !== null) query.types = [enumArg<SafetyEventType>(args, 'kind', SAFETY_EVENT_TYPES)];
  return query;
}

export const eventsHandler: ControlHandler = {
  command: 'events',
  role: 'viewer',
  handle(args, { gateway }): SafetyEvent[] {
    return gateway.safety.store.events(eventQueryOf(args));
  },
};
