// Safety parts of a substation config: zones, outputs and per-point threshold overrides.
// Kept apart from schema.ts so the interlock rules can grow without touching the rest.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');

/** A local tightening (or an approved loosening) of the preset thresholds selected by a point's role. */
export const ThresholdOverrideSchema = z.strictObject({
  alarm: z.number().optional(),
  cutoff: z.number().optional(),
  restore: z.number().optional(),
  /** A looser-than-standard value is only accepted with a recorded approval. */
  approvedException: z
    .strictObject({ reason: z.string().min(10), approvedBy: z.string().min(1), date: z.string().optional() })
    .optional(),
});

/** A zone is an area whose non-intrinsically-safe power is cut together. */
export const ZoneSchema = z.strictObject({
  id,
  name: z.string(),
  /** Outputs that feed power into this zone. */
  outputs: z.array(id).default([]),
});

/** A physical output: a relay coil (Modbus relay module) or a board pin. */
export const OutputSchema = z.strictObject({
  id,
  name: z.string().optional(),
  /** Device id (from `devices`) and its writable channel. */
  device: id,
  channel: z.string(),
  kind: z.enum(['power', 'siren', 'beacon', 'heartbeat']).default('power'),
  /** Load-side feed sensor point that proves the power really is off (馈电). */
  feedPoint: z.string().optional(),
});
