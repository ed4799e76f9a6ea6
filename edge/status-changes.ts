// What `minegate run` prints when stdout is not a terminal (systemd, a pipe): one line per change —
// an alarm on or off, a hold placed or lifted, a device going offline or back, a personnel or seal
// alarm, an evacuation starting or ending — instead of the whole status block every refresh (422
// journal lines in 5 s). Computed from two status snapshots on the refresh timer: nothing here
// subscribes to the safety loop, so the loop never waits on stdout.
import type { GatewayStatus } from './gateway.js';

/** The comparable facts of one status snapshot: key → text to print when it appears. */
export interface StatusFacts {
  facts: Map<string, string>;
}

interface KeyedAlarm {
  key: string;
  message?: string;
  kind?: string;
  position?: string;
}

export function statusFacts(s: GatewayStatus): StatusFacts {
  const facts = new Map<string, string>();
  for (const a of s.alarms) facts.set(`alarm ${a.key}`, `safety alarm [${a.severity}] ${a.key}: ${a.message}`);
  const holds = new Map<string, { outputs: string[]; reason: string }>();
  for (const h of s.holds) {
    const row = holds.get(h.key) ?? { outputs: [], reason: h.reason };
    row.outputs.push(h.output);
    holds.set(h.key, row);
  }
  for (const [key, h] of holds) facts.set(`hold ${key}`, `hold ${key} on ${h.outputs.join(', ')}: ${h.reason}`);
  for (const d of s.devices) if (d.state !== 'online') facts.set(`device ${d.id}`, `device ${d.id} ${d.state}${d.lastError ? `: ${d.lastError}` : ''}`);
  const caps = s.capabilities as Record<string, { alarms?: KeyedAlarm[]; evacuation?: { id: string; areas: { area: string }[] } | null } | null | undefined>;
  for (const a of caps.personnel?.alarms ?? []) facts.set(`personnel ${a.key}`, `personnel alarm ${a.key}${a.message ? `: ${a.message}` : ''}`);
  const evac = caps.personnel?.evacuation;
  if (evac) facts.set(`evacuation ${evac.id}`, `evacuation ${evac.id} of ${evac.areas.map((a) => a.area).join(', ')}`);
  for (const a of caps.seals?.alarms ?? []) facts.set(`seal ${a.key}`, `seal alarm ${a.key}${a.position ? ` at ${a.position}` : ''}${a.message ? `: ${a.message}` : ''}`);
  return { facts };
}

/** Lines for what started and what ended between two snapshots (none for the first: that is the start-up summary's job). */
export function statusChanges(prev: StatusFacts, next: StatusFacts): string[] {
  const lines: string[] = [];
  for (const [key, text] of next.facts) if (!prev.facts.has(key)) lines.push(`+ ${text}`);
  for (const [key, text] of prev.facts) if (!next.facts.has(key)) lines.push(`- ended: ${text}`);
  return lines;
}
