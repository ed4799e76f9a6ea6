// Schema of a device profile (board-configs/profiles/<name>.yaml): the register map of one kind of
// device, as data. Both the gateway's drivers and the simulator read the same profile, so the two
// sides of the wire can never disagree about a register.
import { z } from 'zod';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
const address = z.number().int().min(0).max(65535);

export const ValueType = z.enum(['uint16', 'int16', 'uint32', 'int32', 'float32', 'bool']);
export type ValueType = z.infer<typeof ValueType>;

/** One named value of a device (a "channel"): where it lives and how raw words become engineering units. */
export const ChannelSchema = z.strictObject({
  table: z.enum(['coil', 'discrete', 'holding', 'input']),
  address,
  type: ValueType.default('uint16'),
  /** engineering = raw * scale + offset */
  scale: z.number().refine((n) => n !== 0, 'scale must not be 0').default(1),
  offset: z.number().default(0),
  /** 32-bit values: 'high-first' (Modbus convention) or 'low-first'. */
  wordOrder: z.enum(['high-first', 'low-first']).default('high-first'),
  unit: z.string().default(''),
  /** The gateway may write this channel (relay coils, set-points). Everything else is read-only. */
  writable: z.boolean().default(false),
  description: z.string().optional(),
});
export type Channel = z.infer<typeof ChannelSchema>;

/** Device status word: which bits mean what. Applies to every channel of the device. */
export const StatusSchema = z.strictObject({
  table: z.enum(['holding', 'input']),
  address,
  bits: z.strictObject({
    sensorFault: z.number().int().min(0).max(15).optional(),
    calibrating: z.number().int().min(0).max(15).optional(),
    overRange: z.number().int().min(0).max(15).optional(),
  }),
});

/** A settable parameter of a sensor board (address, baud, zero/span…), used by `minegate board`. */
export const ParamSchema = z.strictObject({
  table: z.literal('holding'),
  address,
  type: ValueType.default('uint16'),
  scale: z.number().default(1),
  unit: z.string().default(''),
  min: z.number(),
  max: z.number(),
  description: z.string(),
  /** What changing it does to the link: the gateway must follow (e.g. new unit id or baud). */
  affects: z.enum(['unit-id', 'baud-rate']).optional(),
});

export const ProfileSchema = z.strictObject({
  name,
  description: z.string(),
  kind: z.enum(['sensor', 'switch-sensor', 'relay-module', 'seal-camera', 'energy-meter', 'card-reader']),
  channels: z.record(name, ChannelSchema).refine((c) => Object.keys(c).length > 0, 'a profile needs at least one channel'),
  status: StatusSchema.optional(),
  /** Sensor measuring range in engineering units; beyond it the device (or the gateway) flags over-range. */
  range: z.strictObject({ low: z.number(), high: z.number() }).optional(),
  params: z.record(name, ParamSchema).default({}),
});
export type Profile = z.infer<typeof ProfileSchema>;
