// Bus defaults shared by the schema and the poller, in a module without zod: the safety kernel's
// poller needs the number, not the config schema and every feature section it pulls in.

/**
 * How often a device that went offline is probed (one request, so a dead device costs the healthy
 * ones at most one response timeout per probe). 1 s: a repaired device is back within a second.
 */
export const OFFLINE_PROBE_DEFAULT_MS = 1_000;
