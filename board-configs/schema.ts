// Schema of a substation board config (one YAML file per substation). Shape and types only;
// cross-references (point → device → bus, unique unit ids) are checked by edge/config.
import { z } from 'zod';
import { OFFLINE_PROBE_DEFAULT_MS } from './kernel-constants.js';
import { BoardSchema } from './boards-schema.js';
import { PersonnelSchema } from './personnel-schema.js';
import { SealSchema } from './seal-schema.js';
import { StoreSchema } from './store-schema.js';
import { SyncSchema } from './sync-schema.js';
import { DashboardSchema } from './dashboard-schema.js';
import { OutputSchema, SafetySettingsSchema, ThresholdOverrideSchema, ZoneSchema } from './safety-schema.js';
import { BAUD_RATES } from '../core/baud-rates.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');

// The line speeds live in core/ (drivers/board-params.ts checks them too); re-exported for the schema's users.
export { BAUD_RATES };

const responseTimeoutMs = z.number().int().min(20).max(10_000).default(300);
export { OFFLINE_PROBE_DEFAULT_MS };
const offlineProbeMs = z.number().int().min(200).max(60_000).default(OFFLINE_PROBE_DEFAULT_MS);

export const SerialBusSchema = z.strictObject({
  id,
  type: z.literal('rtu-serial'),
  /** Prefer a stable /dev/serial/by-id/... path: USB adapters re-enumerate after a replug. */
  path: z.string().min(1),
  baudRate: z
    .number()
    .int()
    .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `one of ${BAUD_RATES.join(', ')}`)
    .default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  responseTimeoutMs,
  offlineProbeMs,
});

export const TcpBusSchema = z.strictObject({
  id,
  /** 'tcp' = Modbus TCP (MBAP); 'rtu-over-tcp' = RTU frames through a serial-to-Ethernet converter. */
  type: z.enum(['tcp', 'rtu-over-tcp']),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  /** Serial line speed behind an RTU-over-TCP converter (used only for timing figures). */
  baudRate: z.number().int().positive().optional(),
  responseTimeoutMs,
  offlineProbeMs,
});

export const BusSchema = z.discriminatedUnion('type', [SerialBusSchema, TcpBusSchema]);
export type BusConfig = z.infer<typeof BusSchema>;

export const DeviceSchema = z.strictObject({
  id,
  bus: id,
  /** Modbus unit id (slave address). */
  unit: z.number().int().min(1).max(247),
  /** Profile name: board-configs/profiles/<profile>.yaml */
  profile: z.string().regex(/^[a-z][a-z0-9-]*$/),
  pollMs: z.number().int().min(100).max(30_000).default(1000),
  /** Poll interval while any point of the device is in alarm (AQ 6201 accelerated patrol). */
  alarmPollMs: z.number().int().min(100).max(30_000).optional(),
  description: z.string().optional(),
});
export type DeviceConfig = z.infer<typeof DeviceSchema>;

export const PointSchema = z.strictObject({
  /** 测点编码: unique point code, as reported upstream. */
  code: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  name: z.string().optional(),
  /** MT/T 1201 sensor type code (domain.md §5.2), e.g. 0001 methane, 0004 CO, 1001 local fan. */
  sensorType: z.string().regex(/^\d{4}$/, 'a 4-digit MT/T 1201 sensor type code, e.g. "0001"'),
  device: id,
  /** Channel name in the device's profile. */
  channel: z.string(),
  unit: z.string(),
  range: z.strictObject({ low: z.number(), high: z.number() }).refine((r) => r.high > r.low, 'range.high must exceed range.low'),
  location: z.string().min(1),
  /** Location role that selects safety thresholds from the preset table, e.g. heading.T1. */
  role: z.string().optional(),
  /** A reading older than this is stale (dangerous). Default: 3 poll intervals of its device. */
  freshnessMs: z.number().int().min(100).optional(),
  /** Zones whose power this point governs (its cut-off range). */
  zones: z.array(id).optional(),
  thresholds: ThresholdOverrideSchema.optional(),
});
export type PointConfig = z.infer<typeof PointSchema>;

export const SubstationConfigSchema = z.strictObject({
  mine: z.strictObject({
    code: z.string().regex(/^\d{12}$/, 'the 12-digit mine code (煤矿编码)'),
    name: z.string().min(1),
  }),
  substation: z.strictObject({
    /** 分站编码 */
    code: z.string().regex(/^[A-Za-z0-9]{1,16}$/),
    name: z.string().min(1),
    location: z.string().optional(),
  }),
  buses: z.array(BusSchema).min(1),
  devices: z.array(DeviceSchema).min(1),
  points: z.array(PointSchema).default([]),
  zones: z.array(ZoneSchema).default([]),
  outputs: z.array(OutputSchema).default([]),
  /** Firmata boards (johnny-five): relays, buzzers, beacons, acknowledge button, unlock keys (board-configs/boards-schema.ts). */
  boards: z.array(BoardSchema).default([]),
  /** Interlock settings: local fans, hold times, remote-cut authorities (board-configs/safety-schema.ts). */
  // prefault, not default: zod 4's default({}) would skip the inner defaults.
  safety: SafetySettingsSchema.prefault({}),
  /** Personnel positioning: roster, areas, reader stations (board-configs/personnel-schema.ts). */
  personnel: PersonnelSchema.optional(),
  /** Electronic seals at shaft mouths and power-use monitoring (board-configs/seal-schema.ts). */
  seals: SealSchema.optional(),
  /** Store-and-forward to the national platform: broker, keys, intervals, caps (board-configs/sync-schema.ts). */
  sync: SyncSchema.optional(),
  /** Retention per class of stored data: days and byte caps (board-configs/store-schema.ts). */
  store: StoreSchema.prefault({}),
  /** The local web dashboard: listen address and port (board-configs/dashboard-schema.ts); off without it. */
  dashboard: DashboardSchema.optional(),
});
export type SubstationConfig = z.infer<typeof SubstationConfigSchema>;
