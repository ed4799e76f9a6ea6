// The `store` part of a substation config: how long, and in how many bytes, each class of stored
// data is kept (edge/store/retention-classes.ts enforces it). Every key is optional; the
// defaults below hold a month of 64 points at 1 s within 2 GiB. Days below the legal minimum of
// AQ 6201-2019 (domain.md, "Data retention") are refused, naming the key.
import { z } from 'zod';

/** AQ 6201-2019: real-time values ≥ 7 days; 5-minute statistics, alarms, cut-offs, feed abnormalities, faults ≥ 1 year. */
export const RETENTION_MINIMUM_DAYS = Object.freeze({ readings: 7, statistics: 365, records: 365 });

export const STORE_DEFAULTS = Object.freeze({
  retention: Object.freeze({
    /** Real-time readings: one day of margin over the legal 7, so a late run never cuts into them. */
    readings: Object.freeze({ days: 8, maxMB: 1536 }),
    /** Five-minute statistics (~55 B a window: 64 points take ~370 MB a year). */
    statistics: Object.freeze({ days: 400, maxMB: 384 }),
    /** Safety events (alarms, cut-offs, feed abnormalities, faults) and the personnel and seal event logs. */
    records: Object.freeze({ days: 400, maxMB: 128 }),
  }),
});

type ClassName = keyof typeof RETENTION_MINIMUM_DAYS;

const limit = (name: ClassName) =>
  z
    .strictObject({
      days: z
        .number()
        .int()
        .min(RETENTION_MINIMUM_DAYS[name], `at least ${RETENTION_MINIMUM_DAYS[name]} days: the legal minimum for ${name} (AQ 6201-2019)`)
        .default(STORE_DEFAULTS.retention[name].days),
      /** Byte cap in MB (MiB). When it would cut into the legal minimum, it wins (a full disk stops everything) and doctor fails. */
      maxMB: z.number().positive().default(STORE_DEFAULTS.retention[name].maxMB),
    })
    .prefault({});

export const StoreSchema = z.strictObject({
  retention: z
    .strictObject({
      readings: limit('readings'),
      statistics: limit('statistics'),
      records: limit('records'),
    })
    .prefault({}),
});
export type StoreConfig = z.infer<typeof StoreSchema>;
