// `events`: the safety event log (alarms, cuts, releases, remote commands, calibrations …) from
// the gateway's store, newest first.
import type { SafetyEvent } from '../safety/events.js';
import type { EventQuery } from '../safety/store.js';
import { optionalIntArg, optionalStringArg } from './args.js';
import type { ControlHandler } from './context.js';
import { type DomainEvent, domainEvents, parseDomains } from './domain-events.js';
import { ControlError } from './errors.js';
import { isEventKind, SAFETY_EVENT_TYPES } from './event-types.js';

export const eventQueryDefaults = { limit: 50, maxLimit: 10_000 } as const;

/** Request args → a store query (shared with the CLI's read-only fallback). */
export function eventQueryOf(args: Record<string, unknown>): EventQuery {
  const query: EventQuery = { limit: optionalIntArg(args, 'limit', 1, eventQueryDefaults.maxLimit) ?? eventQueryDefaults.limit };
  const since = optionalIntArg(args, 'sinceWall', 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) query.sinceWall = since;
  const point = optionalStringArg(args, 'point');
  if (point !== undefined) query.point = point;
  if (args.kind !== undefined && args.kind !== null) {
    if (!isEventKind(args.kind)) throw new ControlError('BAD_REQUEST', `kind must be an event type such as ${SAFETY_EVENT_TYPES.slice(0, 6).join(', ')}, got ${JSON.stringify(args.kind)}`);
    query.types = [args.kind];
  }
  return query;
}

export const eventsHandler: ControlHandler = {
  command: 'events',
  role: 'viewer',
  handle(args, { gateway, db }): SafetyEvent[] | DomainEvent[] {
    // With a domain (`events --domain`): rows across safety, personnel and seals.
    if (args.domain !== undefined) return domainEvents(db, parseDomains(args.domain), args);
    const query = eventQueryOf(args);
    const events = gateway.safety.store.events(query);
    // Capabilities may add entries (sync: rejected platform commands); one list, newest first.
    const extra = gateway.capabilityList().flatMap((c) => c.events?.(query) ?? []);
    if (extra.length === 0) return events;
    return [...events, ...extra].sort((a, b) => b.wallTime - a.wallTime).slice(0, query.limit ?? eventQueryDefaults.limit);
  },
};
