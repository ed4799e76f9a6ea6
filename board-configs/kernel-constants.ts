// The few constants of the config vocabulary that the safety kernel needs without the config
// schema (zod and every feature section it pulls in): one leaf module on purpose, because each
// module the kernel loads counts against its budget (tests/architecture, README "Safety kernel").

/**
 * How often a device that went offline is probed (one request, so a dead device costs the healthy
 * ones at most one response timeout per probe). 1 s: a repaired device is back within a second.
 * Shared by the bus schema's default and the poller.
 */
export const OFFLINE_PROBE_DEFAULT_MS = 1_000;

/** MT/T 1201 sensor type codes of gas measurements (domain.md §5.2). */
export const GAS_SENSOR_TYPES: ReadonlySet<string> = new Set(['0001', '0004', '0009', '0011', '0012', '0013', '0022', '0043']);
/** Feed (馈电) sensor types: load-side voltage present / absent. */
export const FEED_SENSOR_TYPES: ReadonlySet<string> = new Set(['1011', '1015']);
