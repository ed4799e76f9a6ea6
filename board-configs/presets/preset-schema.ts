// Schema of a threshold preset (board-configs/presets/<name>.yaml): the standard alarm / cut-off /
// restore table of one measured quantity, per location role, as data. A point's sensor type picks
// the preset, its `role` picks the row; the config may only tighten a row (see edge/safety/thresholds.ts).
import { z } from 'zod';

/** How far a row is verified (domain.md legend): [V] read in the source, [S] secondary, [I] inference. */
export const PresetTag = z.enum(['V', 'S', 'I']);
export type PresetTag = z.infer<typeof PresetTag>;

export const THRESHOLD_FIELDS = ['alarm', 'alarmLow', 'cutoff', 'restore', 'fanCutoff', 'fanRestore'] as const;
export type ThresholdField = (typeof THRESHOLD_FIELDS)[number];

export const PresetRowSchema = z
  .strictObject({
    /** Where the sensor sits, in words (Chinese term in brackets). */
    location: z.string().min(1),
    /** Upper alarm: alarm while value ≥ alarm. */
    alarm: z.number().optional(),
    /** Lower alarm: alarm while value < alarmLow. */
    alarmLow: z.number().optional(),
    /** Cut the point's range while value ≥ cutoff. */
    cutoff: z.number().optional(),
    /** A cut holds until value < restore. */
    restore: z.number().optional(),
    /**
     * Second stage: at value ≥ fanCutoff the local fan of the point's zones is cut too (series
     * heading T3: ≥ 1.5 %CH4), until value < fanRestore.
     */
    fanCutoff: z.number().optional(),
    fanRestore: z.number().optional(),
    /** 断电范围: what the cut-off must reach; the config's zones implement it. */
    cutoffRange: z.string().optional(),
    tag: PresetTag,
    /** Where the numbers come from, cited in every event the row causes. */
    source: z.string().min(1),
    note: z.string().optional(),
    /** Values that have no national number and must come from the local design (e.g. duct airflow). */
    requires: z.array(z.enum(THRESHOLD_FIELDS)).default([]),
  })
  .refine((r) => r.cutoff === undefined || r.restore !== undefined, { message: 'a row with a cutoff needs a restore value', path: ['restore'] })
  .refine((r) => r.cutoff === undefined || r.restore === undefined || r.restore <= r.cutoff, {
    message: 'restore must not exceed cutoff',
    path: ['restore'],
  })
  .refine((r) => r.fanCutoff === undefined || r.fanRestore !== undefined, { message: 'a row with a fanCutoff needs a fanRestore value', path: ['fanRestore'] })
  .refine((r) => r.fanCutoff === undefined || r.fanRestore === undefined || r.fanRestore <= r.fanCutoff, {
    message: 'fanRestore must not exceed fanCutoff',
    path: ['fanRestore'],
  });
export type PresetRow = z.infer<typeof PresetRowSchema>;

const roleName = z.string().regex(/^[a-z][a-z0-9-]*(\.[A-Za-z0-9-]+)*$/, 'a role such as heading.T1 or coal-bunker');

export const PresetSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string(),
  /** MT/T 1201 sensor type codes this preset applies to. */
  sensorTypes: z.array(z.string().regex(/^\d{4}$/)).min(1),
  /** Engineering unit of every number in the table; a point in another unit is refused. */
  unit: z.string(),
  /** Every point of these sensor types must name a role (or give its own thresholds). */
  requireRole: z.boolean().default(false),
  roles: z.record(roleName, PresetRowSchema).refine((r) => Object.keys(r).length > 0, 'a preset needs at least one role'),
});
export type Preset = z.infer<typeof PresetSchema>;
