// `events`: the safety event log (alarms, cuts, releases, remote commands, calibrations …) from
// the gateway's store, newest first.
import type { SafetyEvent } from '../safety/events.js';
import type { ControlHandler } from './context.js';
// eventQueryOf lives in domain-events.ts (which uses it) so the two files form no import cycle.
import { type DomainEvent, domainEvents, EVENT_QUERY_DEFAULTS, eventQueryOf, parseDomains } from './domain-events.js';

export { EVENT_QUERY_DEFAULTS, eventQueryOf };

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
    return [...events, ...extra].sort((a, b) => b.wallTime - a.wallTime).slice(0, query.limit ?? EVENT_QUERY_DEFAULTS.limit);
  },
};
