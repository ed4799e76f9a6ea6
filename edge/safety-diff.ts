// What a config change would loosen in the interlocks. A reload that loosens anything needs a
// safety officer's confirmation; tightening (or changing nothing safety-related) applies directly.
import { loadPresets } from '../board-configs/presets/load-presets.js';
import type { SubstationConfig } from '../board-configs/schema.js';
import { resolveThresholds } from './safety/thresholds.js';

const UPPER = ['alarm', 'cutoff', 'restore', 'fanCutoff', 'fanRestore'] as const;

/** Human-readable list of loosenings from `before` to `after` (empty: nothing loosened). */
export function safetyLoosening(before: SubstationConfig, after: SubstationConfig): string[] {
  const presets = loadPresets();
  const found: string[] = [];
  const afterPoints = new Map(after.points.map((p) => [p.code, p]));
  const afterZones = new Map(after.zones.map((z) => [z.id, z]));
  const afterOutputs = new Map(after.outputs.map((o) => [o.id, o]));

  for (const old of before.points) {
    const next = afterPoints.get(old.code);
    const oldT = resolveThresholds(old, presets).thresholds;
    if (!next) {
      if (oldT?.cutoff !== undefined || (old.zones?.length ?? 0) > 0) found.push(`point ${old.code} (${old.location}) is removed: it governed ${old.zones?.join(', ') || 'alarms'}`);
      continue;
    }
    const newT = resolveThresholds(next, presets).thresholds;
    if (oldT && !newT) {
      found.push(`point ${old.code}: its thresholds are gone (role ${old.role ?? '—'} → ${next.role ?? '—'})`);
      continue;
    }
    if (oldT && newT) {
      for (const f of UPPER) {
        const a = oldT[f];
        const b = newT[f];
        if (a !== undefined && (b === undefined || b > a)) found.push(`point ${old.code}: ${f} ${a} → ${b ?? 'none'} ${oldT.unit}`);
      }
      if (oldT.alarmLow !== undefined && (newT.alarmLow === undefined || newT.alarmLow < oldT.alarmLow)) {
        found.push(`point ${old.code}: alarmLow ${oldT.alarmLow} → ${newT.alarmLow ?? 'none'} ${oldT.unit}`);
      }
    }
    const lostZones = (old.zones ?? []).filter((z) => !(next.zones ?? []).includes(z));
    if (lostZones.length > 0) found.push(`point ${old.code} no longer cuts ${lostZones.join(', ')}`);
  }
  for (const zone of before.zones) {
    const next = afterZones.get(zone.id);
    const lost = zone.outputs.filter((o) => !next?.outputs.includes(o));
    if (lost.length > 0) found.push(`zone ${zone.id} no longer cuts ${lost.join(', ')}`);
  }
  for (const o of before.outputs) {
    const next = afterOutputs.get(o.id);
    if (!next) found.push(`output ${o.id} (${o.kind}) is removed`);
    else if (o.feedPoint && next.feedPoint !== o.feedPoint) found.push(`output ${o.id}: feed check on ${o.feedPoint} → ${next.feedPoint ?? 'none'}`);
  }
  return found;
}
