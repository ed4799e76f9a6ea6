// MT/T 1201 sensor type codes that other layers classify points by. A leaf module on purpose:
// the safety kernel needs these constants without the config checks (and their 50-odd imports).

/** MT/T 1201 sensor type codes of gas measurements (domain.md §5.2). */
export const GAS_SENSOR_TYPES: ReadonlySet<string> = new Set(['0001', '0004', '0009', '0011', '0012', '0013', '0022', '0043']);
/** Feed (馈电) sensor types: load-side voltage present / absent. */
export const FEED_SENSOR_TYPES: ReadonlySet<string> = new Set(['1011', '1015']);
