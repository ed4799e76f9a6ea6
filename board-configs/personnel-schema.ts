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
  /** Y coordinate, metres (see x). */
  y: z.number().optional(),
  /** Z coordinate (elevation), metres (see x). */
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
  .strictObject({
    /** Reader of the pair on the outby side (at a shaft mouth: outside the collar). */
    outer: reader,
    /** Reader of the pair on the inby side (at a shaft mouth: inside the collar). */
    inner: reader,
    name: z.string().optional(),
  })
  .refine((p) => p.outer !== p.inner, { message: 'outer and inner must be different readers', path: ['inner'] });
export type DirectionPair = z.infer<typeof DirectionPairSchema>;

/** Walking distance between two stations when straight-line coordinates would mislead (bends, levels, cages). */
export const TravelSchema = z
  .strictObject({
    /** The two readers (stations) the leg joins. */
    between: z.tuple([reader, reader]),
    /** Walking distance between them. */
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
  /** A zone (zones[].id) whose cut-off starts the evacuation. */
  zone: id,
  /** Personnel areas (personnel.areas[].id) evacuated when it is cut. */
  areas: z.array(id).min(1),
  /** Safety rules whose cut in the zone evacuates (same names as safety.evacuation.triggers). */
  rules: z.array(z.enum(EVACUATION_TRIGGERS)).min(1).default(['over-limit', 'fan-lock']),
});
export type EvacuationLink = z.infer<typeof EvacuationLinkSchema>;

/** What an evacuation does in one area: its sirens and beacons, and who must acknowledge (叫应). */
export const EvacuationAreaSchema = z.strictObject({
  /** A personnel area (personnel.areas[].id). */
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

/** RS-485 line speeds (the same list as schema.ts BAUD_RATES, which imports this file). */
const READER_BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

/** Defaults of the reader wiring, in one reviewable place. */
export const READER_DEFAULTS = {
  /** minegate's framed protocol runs at 9600 8N1 unless the line says otherwise. */
  baudRate: 9600,
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  /** A reader silent this long (5 report periods) is offline: its area's headcount is unknown. */
  offlineAfterMs: 5_000,
  /** How long a page (呼叫) waits for the reader's ack. */
  pageTimeoutMs: 2_000,
  /** Modbus-FIFO readers are drained this often. */
  fifoPollMs: 1_000,
  /** An RS-485-over-TCP converter that does not accept the connection in this time is down. */
  connectTimeoutMs: 3_000,
} as const;

/** Where the framed reader line (protocols/card-reader/README.md) is reached. */
export const ReaderLinkSchema = z.discriminatedUnion('type', [
  /** An RS-485 adapter on this board. */
  z.strictObject({
    /** `serial`: an RS-485 adapter on this board; `tcp`: an RS-485-over-TCP converter. */
    type: z.literal('serial'),
    /** Serial port of the reader line's adapter (a stable /dev/serial/by-id/... path). */
    path: z.string().min(1),
    baudRate: z
      .number()
      .int()
      .refine((b) => (READER_BAUD_RATES as readonly number[]).includes(b), `one of ${READER_BAUD_RATES.join(', ')}`)
      .default(READER_DEFAULTS.baudRate),
    /** Serial parity of the reader line. */
    parity: z.enum(['none', 'even', 'odd']).default(READER_DEFAULTS.parity),
    /** Serial data bits of the reader line. */
    dataBits: z.union([z.literal(7), z.literal(8)]).default(READER_DEFAULTS.dataBits),
    /** Serial stop bits of the reader line. */
    stopBits: z.union([z.literal(1), z.literal(2)]).default(READER_DEFAULTS.stopBits),
  }),
  /** An RS-485-over-TCP converter in front of the line (raw bytes, no framing added). */
  z.strictObject({
    type: z.literal('tcp'),
    /** Address of the RS-485-over-TCP converter. */
    host: z.string().min(1),
    /** Its TCP port (raw socket mode). */
    port: z.number().int().min(1).max(65_535),
    connectTimeoutMs: ms(100, 60_000).default(READER_DEFAULTS.connectTimeoutMs),
  }),
]);
export type ReaderLinkConfig = z.infer<typeof ReaderLinkSchema>;

/** Framed readers sharing one RS-485 line; `readers` are their addresses (= station readers). */
export const ReaderLineSchema = z.strictObject({
  link: ReaderLinkSchema,
  /** Addresses 1..254 (0 and 255 are reserved by the protocol). */
  readers: z.array(z.number().int().min(1).max(254)).min(1),
});
export type ReaderLineConfig = z.infer<typeof ReaderLineSchema>;

/** A reader that queues card records in Modbus registers (profile card-reader-fifo), on a configured bus. */
export const FifoReaderSchema = z.strictObject({
  /** Device id (from `devices`) whose profile is card-reader-fifo. */
  device: id,
  /** The station reader address its sightings are reported as. */
  reader,
});
export type FifoReaderConfig = z.infer<typeof FifoReaderSchema>;

/** How the gateway hears the readers: the framed line and/or Modbus-FIFO readers. */
export const ReadersSchema = z
  .strictObject({
    line: ReaderLineSchema.optional(),
    fifo: z.array(FifoReaderSchema).default([]),
    offlineAfterMs: ms(1_000, 600_000).default(READER_DEFAULTS.offlineAfterMs),
    pageTimeoutMs: ms(100, 60_000).default(READER_DEFAULTS.pageTimeoutMs),
    fifoPollMs: ms(100, 60_000).default(READER_DEFAULTS.fifoPollMs),
  })
  .superRefine((r, ctx) => {
    // A reader address heard twice would mix two stations' cards into one.
    const framed = new Map<number, number>();
    (r.line?.readers ?? []).forEach((a, i) => {
      if (framed.has(a)) ctx.addIssue({ code: 'custom', path: ['line', 'readers', i], message: `must not repeat a reader (already line.readers[${framed.get(a)}])` });
      else framed.set(a, i);
    });
    const devices = new Map<string, number>();
    const fifoReaders = new Map<number, number>();
    r.fifo.forEach((f, i) => {
      if (devices.has(f.device)) ctx.addIssue({ code: 'custom', path: ['fifo', i, 'device'], message: `must not repeat a device (already fifo[${devices.get(f.device)}])` });
      else devices.set(f.device, i);
      if (framed.has(f.reader)) ctx.addIssue({ code: 'custom', path: ['fifo', i, 'reader'], message: `must not also be on the framed line (reader ${f.reader} is line.readers[${framed.get(f.reader)}])` });
      else if (fifoReaders.has(f.reader)) ctx.addIssue({ code: 'custom', path: ['fifo', i, 'reader'], message: `must not repeat a reader (already fifo[${fifoReaders.get(f.reader)}])` });
      else fifoReaders.set(f.reader, i);
    });
    if (r.line === undefined && r.fifo.length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'readers must have a framed line, fifo readers, or both' });
  });
export type ReadersConfig = z.infer<typeof ReadersSchema>;

export const PersonnelSchema = z.strictObject({
  /** 核定下井人数: the mine total rated headcount underground; more is over-manning (超员). */
  ratedUnderground: z.number().int().min(1),
  /** 劳动组织方式 written in RYSS, e.g. 三八制. */
  labourOrganisation: fileText.optional(),
  roster: z.array(RosterEntrySchema).default([]),
  /** 区域: shaft mouths, key, restricted and other areas, each with its code and limits. */
  areas: z.array(AreaSchema).min(1),
  /** 基站: the reader stations, each in one area. */
  stations: z.array(StationSchema).min(1),
  directionPairs: z.array(DirectionPairSchema).default([]),
  travel: z.array(TravelSchema).default([]),
  /** Timing and limits of the personnel alarms (overtime, lost card, cloned card, SOS …). */
  alarms: PersonnelAlarmSettingsSchema.prefault({}),
  /** Evacuation (撤人): which cut-offs evacuate which areas, sirens, 叫应 deadlines. */
  evacuation: EvacuationSettingsSchema.prefault({}),
  /** How the readers are wired to this gateway. Without it the positioning state gets no sightings. */
  readers: ReadersSchema.optional(),
}).superRefine((p, ctx) => {
  // Every station must be heard by some reader, and every wired reader must be a station.
  if (p.readers === undefined) return;
  const wired = new Set([...(p.readers.line?.readers ?? []), ...p.readers.fifo.map((f) => f.reader)]);
  const stations = new Set(p.stations.map((s) => s.reader));
  p.stations.forEach((s, i) => {
    if (!wired.has(s.reader)) ctx.addIssue({ code: 'custom', path: ['stations', i, 'reader'], message: `must be on readers.line or readers.fifo: station "${s.name}" is on neither, so its cards would never be seen` });
  });
  (p.readers.line?.readers ?? []).forEach((a, i) => {
    if (!stations.has(a)) ctx.addIssue({ code: 'custom', path: ['readers', 'line', 'readers', i], message: `must be the reader of a configured station` });
  });
  p.readers.fifo.forEach((f, i) => {
    if (!stations.has(f.reader)) ctx.addIssue({ code: 'custom', path: ['readers', 'fifo', i, 'reader'], message: `must be the reader of a configured station` });
  });
});
export type PersonnelConfig = z.infer<typeof PersonnelSchema>;
export type PersonnelConfigInput = z.input<typeof PersonnelSchema>;
