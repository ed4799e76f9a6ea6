// Electronic seal (电子封条) parts of a substation config: shaft mouths with their seal cameras and
// mode (producing / stopped), the cross-checks against personnel positioning, and the energy meters
// of the major loads for power-use monitoring (用电监测). schema.ts includes it as the optional
// `seals` key. Every default is collected in `SEAL_DEFAULTS` so a reviewer finds them in one place.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');
const pointCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a point code');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time of day as HH:MM, e.g. "08:00"');
const ms = (min: number) => z.number().int().min(min);

export const SEAL_MODES = ['producing', 'stopped'] as const;
export type SealMode = (typeof SEAL_MODES)[number];

/** Defaults of the seal settings, in one reviewable place. */
export const SEAL_DEFAULTS = {
  /** A shaft mouth without a declared mode counts normally. */
  mode: 'producing' as SealMode,
  /** 三八制: three eight-hour shifts; the seal headcount restarts from a baseline at each. */
  shiftStarts: ['00:00', '08:00', '16:00'],
  /** Shift times are mine time (Beijing, UTC+08:00), whatever the gateway's TZ. */
  tzOffsetMinutes: 480,
  /**
   * Seal headcount at a shift start: 'positioning' takes the positioning headcount then (the mine is
   * not empty between shifts); 'zero' assumes nobody is underground when a shift starts.
   */
  baseline: 'positioning' as 'positioning' | 'zero',
  /** Person-without-card: seal entries are matched against card check-ins over this sliding window. */
  cardWindowMs: 300_000,
  /** A card may register this long before or after the camera counts its bearer. */
  cardGraceMs: 30_000,
  /** Unmatched entries tolerated in the window (camera miscounts) before alarming. */
  cardTolerance: 0,
  /** Seal vs positioning headcount may differ by this many persons. */
  headcountTolerance: 2,
  /** A headcount difference must last this long to raise (and to clear) the alarm: no flapping. */
  headcountSustainMs: 120_000,
  /** Positioning with no card sighting for this long while the seal counts persons is "silent". */
  positioningSilentMs: 120_000,
  /** A stopped-mode crossing alarm ends after this long without a further crossing. */
  stoppedCrossingClearMs: 600_000,
  /** A production load above its idle level must stay there this long (and below it to clear). */
  powerSustainMs: 60_000,
  /** Consecutive failed reads before a camera is offline (one lost packet is not a tamper). */
  offlineAfterFailures: 2,
  /** Crossings per counter accepted between two samples regardless of the time between them. */
  maxJump: 100,
  /** Plus this many per minute between the samples (a cage load of miners at shift change). */
  maxCrossingsPerMinute: 120,
  /** An alarm snapshot that takes longer than this is given up (the alarm never waits for it). */
  snapshotTimeoutMs: 3_000,
  /** Larger snapshots are refused: a broken camera must not fill the SD card. */
  snapshotMaxBytes: 2 * 1024 * 1024,
} as const;

export const SealCameraSchema = z.strictObject({
  /** Device id (from `devices`) whose profile is a seal-camera. */
  device: id,
  /** 安装位置, as reported upstream with every event (e.g. 主井口 井口房东侧). */
  position: z.string().min(1),
  /** What the camera's "in" counters mean for this mouth: into the mine (default) or out of it. */
  inMeans: z.enum(['into-mine', 'out-of-mine']).default('into-mine'),
  /**
   * HTTP URL of the camera's (or AI box's) current snapshot; alarm images are fetched from it.
   * Cameras are usually addressed by IP, which z.httpUrl() refuses, hence the protocol-only check.
   */
  snapshotUrl: z.url({ protocol: /^https?$/, message: 'an http:// or https:// URL' }).optional(),
});
export type SealCameraConfig = z.infer<typeof SealCameraSchema>;

export const ShaftMouthSchema = z.strictObject({
  id,
  /** e.g. 主井口, 副井口, 风井口, 车辆出入口 */
  name: z.string().min(1),
  /** Declared mode at first start; later changes are made at runtime by an operator and persisted. */
  mode: z.enum(SEAL_MODES).default(SEAL_DEFAULTS.mode),
  /**
   * Personnel station or area code where cards check in at this mouth. Without it the mouth has no
   * person-without-card check (e.g. a vehicle entrance nobody walks through).
   */
  personnelStation: z.string().min(1).optional(),
  /** The seal cameras (or AI boxes) that count persons and vehicles at this mouth. */
  cameras: z.array(SealCameraSchema).min(1),
});
export type ShaftMouthConfig = z.infer<typeof ShaftMouthSchema>;

/** A major load with an energy meter. Its power and energy are ordinary points, polled like any other. */
export const SealLoadSchema = z.strictObject({
  id,
  /** e.g. 主提升机, 主运输皮带, 主要通风机, 主排水泵 */
  name: z.string().min(1),
  /** Shaft mouth whose stopped mode this load must respect. */
  shaftMouth: id,
  /** Point code of the meter's active power (kW). */
  powerPoint: pointCode,
  /** Point code of the meter's cumulative energy (kWh), reported with the load. */
  energyPoint: pointCode.optional(),
  /** Power drawn when idle (lighting, heaters, standby); above it the load is working. */
  idleKw: z.number().min(0),
  /**
   * Production load (hoist, coal belt): working while the mouth is stopped is 明停暗开. Ventilation
   * and drainage keep running in a stopped mine, so they are monitored but never alarm. No default:
   * a load silently taken as non-production would hide production.
   */
  production: z.boolean(),
  /** Overrides checks.powerSustainMs for this load. */
  sustainMs: ms(0).optional(),
});
export type SealLoadConfig = z.infer<typeof SealLoadSchema>;

export const SealChecksSchema = z
  .strictObject({
    cardWindowMs: ms(10_000).default(SEAL_DEFAULTS.cardWindowMs),
    cardGraceMs: ms(0).default(SEAL_DEFAULTS.cardGraceMs),
    cardTolerance: z.number().int().min(0).default(SEAL_DEFAULTS.cardTolerance),
    headcountTolerance: z.number().int().min(0).default(SEAL_DEFAULTS.headcountTolerance),
    headcountSustainMs: ms(0).default(SEAL_DEFAULTS.headcountSustainMs),
    positioningSilentMs: ms(10_000).default(SEAL_DEFAULTS.positioningSilentMs),
    stoppedCrossingClearMs: ms(1_000).default(SEAL_DEFAULTS.stoppedCrossingClearMs),
    powerSustainMs: ms(0).default(SEAL_DEFAULTS.powerSustainMs),
  })
  .refine((c) => c.cardGraceMs < c.cardWindowMs, { message: 'cardGraceMs must be shorter than cardWindowMs', path: ['cardGraceMs'] })
  .refine((c) => c.cardGraceMs < c.positioningSilentMs, { message: 'cardGraceMs must be shorter than positioningSilentMs', path: ['cardGraceMs'] });
export type SealChecksConfig = z.infer<typeof SealChecksSchema>;

export const SealCameraSettingsSchema = z.strictObject({
  offlineAfterFailures: z.number().int().min(1).max(10).default(SEAL_DEFAULTS.offlineAfterFailures),
  maxJump: z.number().int().min(1).default(SEAL_DEFAULTS.maxJump),
  maxCrossingsPerMinute: z.number().min(0).default(SEAL_DEFAULTS.maxCrossingsPerMinute),
  snapshotTimeoutMs: ms(100).max(60_000).default(SEAL_DEFAULTS.snapshotTimeoutMs),
  snapshotMaxBytes: z.number().int().min(1024).default(SEAL_DEFAULTS.snapshotMaxBytes),
});
export type SealCameraSettings = z.infer<typeof SealCameraSettingsSchema>;

export const SealShiftsSchema = z
  .strictObject({
    starts: z.array(hhmm).min(1).default([...SEAL_DEFAULTS.shiftStarts]),
    tzOffsetMinutes: z.number().int().min(-720).max(840).default(SEAL_DEFAULTS.tzOffsetMinutes),
    baseline: z.enum(['positioning', 'zero']).default(SEAL_DEFAULTS.baseline),
  })
  .refine((s) => new Set(s.starts).size === s.starts.length, { message: 'shift start times must be distinct', path: ['starts'] });
export type SealShiftsConfig = z.infer<typeof SealShiftsSchema>;

/** The `seals:` section of a substation config. */
export const SealSchema = z.strictObject({
  /** The shaft mouths (主井口, 副井口, 风井口, 车辆出入口) with their cameras. */
  shaftMouths: z.array(ShaftMouthSchema).min(1),
  loads: z.array(SealLoadSchema).default([]),
  /** Shift starts (mine time) and the seal headcount baseline taken at each. */
  shifts: SealShiftsSchema.prefault({}),
  /** Windows and tolerances of the person-without-card, headcount and positioning checks. */
  checks: SealChecksSchema.prefault({}),
  /** Camera polling: offline detection, counter plausibility, snapshot fetch. */
  cameras: SealCameraSettingsSchema.prefault({}),
});
export type SealConfig = z.infer<typeof SealSchema>;
export type SealConfigInput = z.input<typeof SealSchema>;
