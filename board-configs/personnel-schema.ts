// Personnel positioning (人员定位) parts of a substation config: roster, areas, stations (readers),
// direction pairs, travel distances, alarm settings and evacuation (撤人, 叫应). Owned by the
// personnel capability; schema.ts includes it as the optional `personnel` key. Shape and types
// only: references (station → area, roster cards, outputs, zones) are checked by
// edge/personnel/config-checks.ts. Every default is collected in PERSONNEL_DEFAULTS.
import { z } from 'zod';
import { EVACUATION_TRIGGERS } from './safety-schema.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');
/** 人员卡编码 (MT/T 1201.3): mine code + 5 digits. */
const cardCode = z.string().regex(/^\d{17}$/, 'a 17-digit card code (12-digit mine code + 5 digits)');
/** Reader address on the reader bus. */
const reader = z.number().int().min(0).max(65_535);
const ms = (min: number, max: number) => z.number().int().min(min).max(max);
/** Text written into MT/T 1201 files, which have no escapes: the separators cannot appear in it. */
const fileText = z.string().regex(/^[^;~|\r\n\uFF1B]*$/, 'must not contain ; ~ | or a line break (MT/T 1201 file separators)');
const name = fileText.min(1);

/** Defaults of the personnel settings, in one reviewable place. */
export const PERSONNEL_DEFAULTS = {
  /** 超时: a shift is 8 h (三八制); past 10 h underground is overtime. */
  overtimeMs: 10 * 3600_000,
  /** A card underground not seen this long is lost (dead battery, card left behind, person trapped). */
  lostCardMs: 10 * 60_000,
  /** Faster than this between two stations is impossible on foot: a cloned card (two cards, one tag). */
  maxWalkingSpeedMps: 7,
  /** A report says when the reader sent it, not when it heard the card: the walking-speed check allows this much more time. */
  reportSlackMs: 2_000,
  /** A cloned-card alarm ends after this long without another impossible jump. */
  clonedCardClearMs: 10 * 60_000,
  /** A card last seen at a shaft-mouth station (flag 0) and silent this long has left the mine. */
  shaftMouthExitMs: 120_000,
  /** The two stations of a direction pair must be passed within this time to give a direction. */
  directionWindowMs: 60_000,
  /** A card stays at its station while that station saw it this recently, unless another is clearly stronger. */
  stationHoldMs: 3_000,
  /** How much stronger (dB) another station must hear a card to take it over within stationHoldMs. */
  rssiMarginDb: 6,
  /** SOS flags closer together than this belong to one press (a card repeats its SOS in every report). */
  sosPressGapMs: 1_500,
  /** Stations kept in a person's trajectory (轨迹), newest last. */
  trajectoryLength: 100,
  /** After a restart, readers get this long to report before lost-card and shaft-exit timeouts apply. */
  startupGraceMs: 30_000,
  /** 叫应: the responsible person of an evacuated area must acknowledge within this time. */
  ackTimeoutMs: 5 * 60_000,
  /** After an overdue acknowledgement, call the responsible person again this often. */
  recallIntervalMs: 30_000,
  /** Page the cards still inside an evacuated area this often. */
  pageIntervalMs: 60_000,
  /** Two SOS presses within this time by a responsible person acknowledge (叫应) the evacuation. */
  doublePressWindowMs: 10_000,
} as const;

export const AREA_KINDS = ['shaft-mouth', 'key', 'restricted', 'other'] as const;
export type AreaKind = (typeof AREA_KINDS)[number];

/** One card of the roster. A person (employee) may hold several cards: 一人多卡 is alarmed. */
export const RosterEntrySchema = z.strictObject({
  /** Tag id as the card transmits it (uint32 on the wire). */
  tag: z.number().int().min(0).max(0xffff_ffff),
  /** 人员卡编码, as reported upstream. */
  card: cardCode,
  /** Employee number: the same person on two cards shares it. */
  person: z.string().min(1),
  name,
  /** 工种 */
  job: fileText.optional(),
  /** 职务 */
  position: fileText.optional(),
  /** 队组/部门 */
  team: fileText.optional(),
  /** 出生年月, as the mine's HR system writes it (e.g. 1985-06). */
  birth: fileText.optional(),
  /** 学历 */
  education: fileText.optional(),
  /** 是否矿领导 */
  leader: z.boolean().default(false),
  /** 是否特种人员 (special operator: blaster, gas inspector …). */
  special: z.boolean().default(false),
});
export type RosterEntry = z.infer<typeof RosterEntrySchema>;

export const AreaSchema = z.strictObject({
  id,
  /** 区域编码: mine code + 4 digits. */
  code: z.string().regex(/^\d{16}$/, 'a 16-digit area code (12-digit mine code + 4 digits)'),
  name,
  /** 井口区域 / 重点区域 / 限制区域 / 其它区域 */
  type: z.enum(AREA_KINDS),
  /** 核定人数: over-manning (超员) above it. No value: no limit for this area. */
  ratedCount: z.number().int().min(0).optional(),
  /** Only special operators may be here (a non-special card is alarmed). */
  specialOnly: z.boolean().default(false),
  /** Cards allowed into a restricted area without an alarm (准入). */
  allowed: z.array(cardCode).default([]),
});
export type AreaConfig = z.infer<typeof AreaSchema>;

export const StationSchema = z.strictObject({
  /** Reader address on the reader bus. */
  reader,
  /** 基站编码: area code + 6 digits. */
  code: z.string().regex(/^\d{22}$/, 'a 22-digit station code (16-digit area code + 6 digits)'),
  name,
  /** The area a card seen here is in. */
  area: id,
  /** Coordinates in metres (RYJZ X/Y/Z); with them the walking-speed check needs no travel table. */
  x: z.number().optional(),
  y: z.number().optional(),
  z: z.number().optional(),
  /** 位置注释 */
  note: fileText.optional(),
});
export type StationConfig = z.infer<typeof StationSchema>;

/**
 * Two stations close together at a branch or shaft: a card passing `outer` then `inner` moves
 * inby (into the mine / deeper), `inner` then `outer` outby. At a shaft mouth this decides entry
 * into and exit from the mine without waiting for a timeout.
 */
export const DirectionPairSchema = z
  .strictObject({ outer: reader, inner: reader, name: z.string().optional() })
  .refine((p) => p.outer !== p.inner, { message: 'outer and inner must be different readers', path: ['inner'] });
export type DirectionPair = z.infer<typeof DirectionPairSchema>;

/** Walking distance between two stations when straight-line coordinates would mislead (bends, levels, cages). */
export const TravelSchema = z
  .strictObject({
    between: z.tuple([reader, reader]),
    metres: z.number().positive(),
    /** For a man-riding car or cage on this leg: the fastest plausible speed. */
    maxSpeedMps: z.number().positive().optional(),
  })
  .refine((t) => t.between[0] !== t.between[1], { message: 'a travel leg needs two different readers', path: ['between'] });
export type TravelConfig = z.infer<typeof TravelSchema>;

export const PersonnelAlarmSettingsSchema = z.strictObject({
  overtimeMs: ms(60_000, 48 * 3600_000).default(PERSONNEL_DEFAULTS.overtimeMs),
  lostCardMs: ms(10_000, 24 * 3600_000).default(PERSONNEL_DEFAULTS.lostCardMs),
  maxWalkingSpeedMps: z.number().positive().max(50).default(PERSONNEL_DEFAULTS.maxWalkingSpeedMps),
  reportSlackMs: ms(0, 60_000).default(PERSONNEL_DEFAULTS.reportSlackMs),
  clonedCardClearMs: ms(1_000, 24 * 3600_000).default(PERSONNEL_DEFAULTS.clonedCardClearMs),
  shaftMouthExitMs: ms(1_000, 3600_000).default(PERSONNEL_DEFAULTS.shaftMouthExitMs),
  directionWindowMs: ms(100, 600_000).default(PERSONNEL_DEFAULTS.directionWindowMs),
  stationHoldMs: ms(0, 60_000).default(PERSONNEL_DEFAULTS.stationHoldMs),
  rssiMarginDb: z.number().min(0).max(60).default(PERSONNEL_DEFAULTS.rssiMarginDb),
  sosPressGapMs: ms(100, 60_000).default(PERSONNEL_DEFAULTS.sosPressGapMs),
  trajectoryLength: z.number().int().min(2).max(10_000).default(PERSONNEL_DEFAULTS.trajectoryLength),
  startupGraceMs: ms(0, 600_000).default(PERSONNEL_DEFAULTS.startupGraceMs),
});
export type PersonnelAlarmSettings = z.infer<typeof PersonnelAlarmSettingsSchema>;

/** Which zones' cut-offs evacuate which areas (AQ 1029-2019 §4.6 emergency linkage). */
export const EvacuationLinkSchema = z.strictObject({
  zone: id,
  areas: z.array(id).min(1),
  /** Safety rules whose cut in the zone evacuates (same names as safety.evacuation.triggers). */
  rules: z.array(z.enum(EVACUATION_TRIGGERS)).min(1).default(['over-limit', 'fan-lock']),
});
export type EvacuationLink = z.infer<typeof EvacuationLinkSchema>;

/** What an evacuation does in one area: its sirens and beacons, and who must acknowledge (叫应). */
export const EvacuationAreaSchema = z.strictObject({
  area: id,
  /** Siren, beacon or evacuation outputs switched on while the area is evacuated. */
  outputs: z.array(id).default([]),
  /** Card code of the person responsible for the area (班组长/带班): pages and acknowledgement. */
  responsible: cardCode.optional(),
});
export type EvacuationAreaConfig = z.infer<typeof EvacuationAreaSchema>;

export const EvacuationSettingsSchema = z.strictObject({
  links: z.array(EvacuationLinkSchema).default([]),
  areas: z.array(EvacuationAreaSchema).default([]),
  ackTimeoutMs: ms(10_000, 3600_000).default(PERSONNEL_DEFAULTS.ackTimeoutMs),
  recallIntervalMs: ms(1_000, 600_000).default(PERSONNEL_DEFAULTS.recallIntervalMs),
  pageIntervalMs: ms(1_000, 600_000).default(PERSONNEL_DEFAULTS.pageIntervalMs),
  doublePressWindowMs: ms(500, 60_000).default(PERSONNEL_DEFAULTS.doublePressWindowMs),
  /** Switched on when an acknowledgement is overdue: wider sirens (e.g. the whole level, the shaft bottom). */
  escalationOutputs: z.array(id).default([]),
  /** Who may start or stand down an evacuation by hand. Empty: any named operator. */
  operators: z.array(z.string().min(1)).default([]),
});
export type EvacuationSettings = z.infer<typeof EvacuationSettingsSchema>;

export const PersonnelSchema = z.strictObject({
  /** 核定下井人数: the mine total rated headcount underground; more is over-manning (超员). */
  ratedUnderground: z.number().int().min(1),
  /** 劳动组织方式 written in RYSS, e.g. 三八制. */
  labourOrganisation: fileText.optional(),
  roster: z.array(RosterEntrySchema).default([]),
  areas: z.array(AreaSchema).min(1),
  stations: z.array(StationSchema).min(1),
  directionPairs: z.array(DirectionPairSchema).default([]),
  travel: z.array(TravelSchema).default([]),
  alarms: PersonnelAlarmSettingsSchema.prefault({}),
  evacuation: EvacuationSettingsSchema.prefault({}),
});
export type PersonnelConfig = z.infer<typeof PersonnelSchema>;
export type PersonnelConfigInput = z.input<typeof PersonnelSchema>;
