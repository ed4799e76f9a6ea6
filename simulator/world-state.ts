// The simulated world's state across a restart of the simulator (`minegate demo` on the same data
// dir). A real mine does not start over when its gateway restarts: the miners stay where they are,
// the seal cameras keep their counters. The gateway restores its personnel positions and seal shift
// totals from the data dir; if the simulator started its scenario at 0 again, 20 miners would walk
// in a second time with cards the gateway already has underground — no card check-in for them,
// seal entries without a check-in, and false 人员未带卡 alarms (issue 14). So the demo saves this
// when it stops and resumes the scenario from it: the gateway restarts against a world that went on.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomically } from '../core/atomic-file.js';

const uint32 = z.number().int().min(0).max(0xffff_ffff);

export const SimWorldSchema = z.object({
  version: z.literal(1),
  /** The scenario's name: a world is only resumed by the scenario that made it. */
  scenario: z.string(),
  /** Scenario seconds of the signals and the timeline when saved. */
  time: z.number().min(0),
  /** Scenario seconds of the reader network (cards' routes) when saved. */
  cardTime: z.number().min(0),
  /** Timeline entries and uncarded crossings already played (they are not played again). */
  timelineDone: z.number().int().min(0),
  uncardedDone: z.number().int().min(0),
  cameras: z.array(z.object({
    bus: z.string(),
    unit: z.number().int(),
    counters: z.object({ 'people-in': uint32, 'people-out': uint32, 'vehicles-in': uint32, 'vehicles-out': uint32 }),
    bootCount: z.number().int().min(0).max(0xffff),
    bootedAtWall: z.number(),
  }).strict()),
  /** Per seal link: how often each card arrived at the reader (odd: in, even: out) and who is in range. */
  sealLinks: z.array(z.object({
    bus: z.string(),
    unit: z.number().int(),
    reader: z.number().int(),
    arrivals: z.array(z.tuple([z.number().int(), z.number().int().min(0)])),
    inRange: z.array(z.number().int()),
  }).strict()),
}).strict();

export type SimWorld = z.infer<typeof SimWorldSchema>;

/** The saved world, or null when there is none (first start). A file that does not parse is an error, not a silent restart. */
export function readSimWorld(file: string): SimWorld | null {
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: the saved simulator world is not JSON (${(err as Error).message}); delete it to start the scenario over`);
  }
  const parsed = SimWorldSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: not a saved simulator world (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); delete it to start the scenario over`);
  return parsed.data;
}

export function writeSimWorld(file: string, world: SimWorld): void {
  writeFileAtomically(file, `${JSON.stringify(world)}\n`, 0o644);
}
