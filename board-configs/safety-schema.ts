// Safety parts of a substation config: zones, outputs, per-point threshold overrides and the
// interlock settings (local fans, feed verification, fault lockout, remote cut, evacuation link,
// sensor-integrity checks). Kept apart from schema.ts so the interlock rules can grow without
// touching the rest. Every default here is a safety decision: they are collected in
// `SAFETY_DEFAULTS` so a reviewer finds them in one place.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');
const pointCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a point code');
const sensorType = z.string().regex(/^\d{4}$/, 'a 4-digit MT/T 1201 sensor type code');

/** Defaults of the safety settings, in one reviewable place. */
export const SAFETY_DEFAULTS = {
  /** Interlock clause f: keep the lockout for 1 min after the faulty equipment works again. */
  faultLockoutHoldMs: 60_000,
  /** Cut-off execution time is ≤ 2 s (AQ 6201-2019); a load side still live after that is 馈电异常. */
  feedTimeoutMs: 2_000,
  /** Max patrol cycle (AQ 6201-2019 §4.7.4): a point not read this long after start is a fault. */
  startupGraceMs: 30_000,
  /** Interlock clause e: fan lock above 3.0 %, automatic release below 1.5 %. */
  fanLockAbove: 3.0,
  fanUnlockBelow: 1.5,
  /** A stopped local fan may be restarted only with CH4 ≤ 0.5 % within 10 m of fan and switch. */
  fanRestartMax: 0.5,
  /** Interlock clause g: after an automatic switchover the other local fan must report running this soon. */
  fanSwitchoverStartMs: 15_000,
  /** Longest remote cut (异地断电) before it expires on its own: one day. */
  remoteCutMaxDurationMs: 24 * 3600_000,
  /** Integrity: a value stuck within its resolution this long while neighbours move is suspect. */
  frozenMs: 600_000,
  /** Integrity: the steady baseline a sudden drop to near zero is measured against. */
  dropBaselineMs: 300_000,
  /** Integrity: how quickly the value must fall to count as "sudden". */
  dropWithinMs: 10_000,
  /** Integrity: a ventilation change this close to the drop explains it. */
  ventilationWindowMs: 60_000,
  /** Integrity: a point not acquired for longer than the max patrol cycle has a data gap. */
  gapMs: 30_000,
  /** Calibration periods by sensor type (AQ 1029-2019: catalytic CH4 15 days; laser ≥ 6 months; others monthly). */
  calibrationMaxAgeDays: { '0001': 15, '0011': 15, '0043': 180 } as Record<string, number>,
  otherCalibrationMaxAgeDays: 30,
} as const;

/** A local tightening (or an approved loosening) of the preset thresholds selected by a point's role. */
export const ThresholdOverrideSchema = z.strictObject({
  /** Upper alarm: alarm while value ≥ alarm. */
  alarm: z.number().optional(),
  /** Lower alarm: alarm while value < alarmLow (e.g. wind speed below the roadway minimum). */
  alarmLow: z.number().optional(),
  /** Cut power of the point's zones while value ≥ cutoff. */
  cutoff: z.number().optional(),
  /** A cut-off holds until value < restore. */
  restore: z.number().optional(),
  /** Second stage: cut the local fan of the point's zones too while value ≥ fanCutoff (series heading T3). */
  fanCutoff: z.number().optional(),
  /** The second-stage cut holds until value < fanRestore. */
  fanRestore: z.number().optional(),
  /** A looser-than-standard value is only accepted with a recorded approval. */
  approvedException: z
    .strictObject({ reason: z.string().min(10), approvedBy: z.string().min(1), date: z.string().optional() })
    .optional(),
});
export type ThresholdOverride = z.infer<typeof ThresholdOverrideSchema>;

/** A zone is an area whose non-intrinsically-safe power is cut together. */
export const ZoneSchema = z.strictObject({
  id,
  name: z.string(),
  /** Outputs that feed power into this zone. */
  outputs: z.array(id).default([]),
});
export type ZoneConfig = z.infer<typeof ZoneSchema>;

export const OUTPUT_KINDS = ['power', 'siren', 'beacon', 'heartbeat', 'evacuation'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** A physical output: a relay coil (Modbus relay module) or a board pin. */
export const OutputSchema = z.strictObject({
  id,
  name: z.string().optional(),
  /** Device id (from `devices`) and its writable channel. */
  device: id,
  channel: z.string(),
  /**
   * power: energised = power permitted (cut while any hold exists). siren/beacon: on while an alarm
   * is active. heartbeat: toggles every evaluation for an external watchdog relay. evacuation: on
   * while a cut-off needs evacuation (link to broadcast / personnel systems).
   */
  kind: z.enum(OUTPUT_KINDS).default('power'),
  /** Load-side feed sensor point that proves the power really is off (馈电). */
  feedPoint: z.string().optional(),
  /** Time a cut may take before a live load side is 馈电异常 (default: safety.feedTimeoutMs). */
  feedTimeoutMs: z.number().int().min(100).max(60_000).optional(),
  /** Upstream output cut when this output's cut-off is not confirmed by its feed point. */
  feedEscalation: id.optional(),
  /** Escalate also when the feed cannot be verified (feed point faulty or stale): unknown is dangerous. */
  escalateWhenUnverified: z.boolean().default(true),
});
export type OutputConfig = z.infer<typeof OutputSchema>;

/**
 * The standby local fan of a main/standby pair (双风机双电源, interlock clause g): it takes over
 * automatically when the running fan stops while its power was permitted.
 */
export const StandbyFanSchema = z.strictObject({
  name: z.string().optional(),
  /** The output feeding (starting) the standby fan. Held off while the other fan ventilates; never fault-locked. */
  fanOutput: id,
  /** Its own on/off sensor (MT/T 1201 type 1001). */
  runPoint: pointCode,
  /** Methane points at the standby fan and its switch for its restart permit (default: the main fan's). */
  restartPoints: z.array(pointCode).optional(),
  /** The fan switched to must report running this soon, else a danger alarm (switchover failed). */
  startTimeoutMs: z.number().int().min(1_000).max(300_000).default(SAFETY_DEFAULTS.fanSwitchoverStartMs),
});
export type StandbyFanConfig = z.infer<typeof StandbyFanSchema>;

/**
 * A local (auxiliary) fan and what it ventilates: the methane-wind-power interlock (甲烷风电闭锁,
 * AQ 6201 interlock clauses d, e, f).
 */
export const LocalFanSchema = z
  .strictObject({
    id,
    name: z.string().optional(),
    /** The output feeding the fan's switch. It is never fault-locked (clause f): the fan must keep ventilating. */
    fanOutput: id.optional(),
    /** Equipment on/off sensor of the fan (MT/T 1201 type 1001): 1 running, 0 stopped. */
    runPoint: pointCode,
    /** Duct airflow point; its lower limit is the point's `alarmLow` threshold (duct-airflow preset). */
    airflowPoint: pointCode.optional(),
    /** Zones the fan ventilates: cut when the fan stops or the duct airflow is low (clause d). */
    ventilates: z.array(id).min(1),
    /** Heading face (T1) and return (T2) methane points that decide the fan lock (clause e). */
    gasPoints: z.array(pointCode).min(1),
    /** Methane points within 10 m of the fan and its switch: the restart permit needs ≤ restartMax there. */
    restartPoints: z.array(pointCode).default([]),
    lockAbove: z.number().positive().default(SAFETY_DEFAULTS.fanLockAbove),
    /** The fan lock releases by itself once every gas point reads below this (clause e: 1.5 %). */
    unlockBelow: z.number().positive().default(SAFETY_DEFAULTS.fanUnlockBelow),
    restartMax: z.number().positive().default(SAFETY_DEFAULTS.fanRestartMax),
    /** Lock a stopped fan also when a gas point is unreadable ([I]: unknown is treated as dangerous). */
    lockOnUnknownGas: z.boolean().default(true),
    /** Interlock clause g: a standby fan that takes over when this one stops (needs fanOutput on both). */
    standby: StandbyFanSchema.optional(),
  })
  .refine((f) => f.fanOutput === undefined || f.restartPoints.length > 0, {
    message: 'a fan with a fanOutput needs restartPoints (CH4 within 10 m of the fan and its switch) for the restart permit',
    path: ['restartPoints'],
  })
  .refine((f) => f.unlockBelow <= f.lockAbove, { message: 'unlockBelow must not exceed lockAbove', path: ['unlockBelow'] })
  .refine((f) => f.standby === undefined || f.fanOutput !== undefined, {
    message: 'a fan with a standby needs its own fanOutput: the switchover must be able to hold the stopped fan off',
    path: ['fanOutput'],
  });
export type LocalFanConfig = z.infer<typeof LocalFanSchema>;

export const EVACUATION_TRIGGERS = ['over-limit', 'fan-lock', 'remote-cut'] as const;
export type EvacuationTrigger = (typeof EVACUATION_TRIGGERS)[number];

/** Sensor anti-falsification checks: they only ever add alarms, never release a hold. */
export const IntegritySettingsSchema = z.strictObject({
  frozenMs: z.number().int().min(10_000).default(SAFETY_DEFAULTS.frozenMs),
  dropBaselineMs: z.number().int().min(10_000).default(SAFETY_DEFAULTS.dropBaselineMs),
  dropWithinMs: z.number().int().min(100).default(SAFETY_DEFAULTS.dropWithinMs),
  ventilationWindowMs: z.number().int().min(1_000).default(SAFETY_DEFAULTS.ventilationWindowMs),
  gapMs: z.number().int().min(1_000).default(SAFETY_DEFAULTS.gapMs),
  /** Calibration periods by sensor type, days. */
  calibrationMaxAgeDays: z.record(sensorType, z.number().positive()).default({ ...SAFETY_DEFAULTS.calibrationMaxAgeDays }),
  /** Calibration period of sensor types not in calibrationMaxAgeDays (AQ 1029-2019: monthly). */
  otherCalibrationMaxAgeDays: z.number().positive().default(SAFETY_DEFAULTS.otherCalibrationMaxAgeDays),
  /** Last calibration date per point (ISO 8601), as recorded by the technician. */
  calibrations: z.record(pointCode, z.iso.date().or(z.iso.datetime({ offset: true }))).default({}),
  /** Points whose movement proves a frozen neighbour is suspect. Default: same sensor type sharing a zone. */
  neighbours: z.record(pointCode, z.array(pointCode)).default({}),
  /** Value resolution per point. Default: 1/1000 of the point's range. */
  resolution: z.record(pointCode, z.number().positive()).default({}),
});
export type IntegritySettings = z.infer<typeof IntegritySettingsSchema>;

/** The `safety:` section of a substation config. */
export const SafetySettingsSchema = z.strictObject({
  faultLockoutHoldMs: z.number().int().min(0).max(600_000).default(SAFETY_DEFAULTS.faultLockoutHoldMs),
  feedTimeoutMs: z.number().int().min(100).max(60_000).default(SAFETY_DEFAULTS.feedTimeoutMs),
  startupGraceMs: z.number().int().min(1_000).max(300_000).default(SAFETY_DEFAULTS.startupGraceMs),
  localFans: z.array(LocalFanSchema).default([]),
  /** Remote cut (异地断电) ordered by the platform: who may, and for how long at most. */
  remoteCut: z
    .strictObject({
      /** Who may order a remote cut (e.g. "dispatch"). Empty: any named authority; release is always by the same one. */
      authorities: z.array(z.string().min(1)).default([]),
      /** Longest remote cut before it expires on its own (one day). */
      maxDurationMs: z.number().int().min(60_000).default(SAFETY_DEFAULTS.remoteCutMaxDurationMs),
    })
    .prefault({}),
  /** Operators allowed to unlock a fan lock by hand (clause e). Empty: only the automatic release. */
  unlockOperators: z.array(z.string().min(1)).default([]),
  /** When the evacuation outputs (kind evacuation) come on. */
  evacuation: z
    .strictObject({
      /** Holds that switch the evacuation outputs on (AQ 1029-2019 §4.6 emergency linkage). */
      triggers: z.array(z.enum(EVACUATION_TRIGGERS)).default(['over-limit', 'fan-lock']),
    })
    .prefault({}),
  integrity: IntegritySettingsSchema.prefault({}),
});
export type SafetySettings = z.infer<typeof SafetySettingsSchema>;
export type SafetySettingsInput = z.input<typeof SafetySettingsSchema>;
