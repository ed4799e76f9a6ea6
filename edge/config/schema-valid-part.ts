// The part of a board config that passed the schema, so the cross-checks can run on it too when
// other parts did not (issue 14, item 8): a technician sees every schema error AND every
// cross-reference error in one `config check`, instead of fixing one stage to discover the next.
//
// What is set aside: a list element with a schema error (devices[3]), a whole section with one
// (personnel, seals, …; required ones get a placeholder), unknown top-level keys. Cross-check
// issues are then kept only where they can be trusted: paths are mapped back to the element's
// index in the file, and an issue that names something set aside (an id or code of a dropped
// element, a dropped section) is left out: "no device "ch4-1"" would be false when ch4-1 exists
// with a typo in its unit.
import type { z } from 'zod';
import type { SubstationConfig } from '../../board-configs/schema.js';
import type { ConfigPath } from './check-context.js';

/** The top-level lists whose elements are validated (and set aside) one by one. */
const LISTS = ['buses', 'devices', 'points', 'zones', 'outputs', 'boards'] as const;
type ListKey = (typeof LISTS)[number];

/** Required sections without a schema default: a harmless stand-in keeps the rest checkable. */
const PLACEHOLDERS: Record<string, unknown> = {
  mine: { code: '000000000000', name: 'mine' },
  substation: { code: 'S0', name: 'substation' },
};

/** Rounds of set-aside-and-reparse (setting an element aside can only reveal issues in others once). */
const MAX_ROUNDS = 4;

export interface ValidPart {
  config: SubstationConfig;
  /** A cross-check path in `config` → the same place in the file. */
  toFilePath(path: ConfigPath): ConfigPath;
  /** False for an issue message that names something set aside. */
  trustworthy(message: string): boolean;
}

/** The largest validating part of `data`, or null when none is left (e.g. no valid device at all). */
export function schemaValidPart(schema: z.ZodType<SubstationConfig>, data: unknown): ValidPart | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const doc = { ...(data as Record<string, unknown>) };
  // Index in the file of each element still in the list, per list.
  const kept = new Map<ListKey, number[]>();
  for (const list of LISTS) if (Array.isArray(doc[list])) kept.set(list, (doc[list] as unknown[]).map((_, i) => i));
  const droppedNames = new Set<string>();
  const droppedSections = new Set<string>();

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = schema.safeParse(doc);
    if (result.success) {
      return {
        config: result.data,
        toFilePath(path) {
          const [head, index, ...rest] = path;
          const map = typeof head === 'string' ? kept.get(head as ListKey) : undefined;
          if (!map || typeof index !== 'number' || map[index] === undefined) return path;
          return [head!, map[index]!, ...rest];
        },
        trustworthy(message) {
          for (const name of droppedNames) if (message.includes(`"${name}"`)) return false;
          for (const section of droppedSections) if (new RegExp(`\\b${section}\\b`).test(message)) return false;
          return true;
        },
      };
    }
    const dropElements = new Map<ListKey, Set<number>>();
    let changed = false;
    for (const issue of result.error.issues) {
      const [head, index] = issue.path;
      if (head === undefined) {
        // Unknown keys at the top: ignore them as the gateway never reads them.
        if (issue.code === 'unrecognized_keys') for (const key of issue.keys) changed = delete doc[key] || changed;
        continue;
      }
      const key = String(head);
      if ((LISTS as readonly string[]).includes(key) && typeof index === 'number' && Array.isArray(doc[key])) {
        const set = dropElements.get(key as ListKey) ?? new Set<number>();
        set.add(index);
        dropElements.set(key as ListKey, set);
        continue;
      }
      if (droppedSections.has(key)) continue;
      droppedSections.add(key);
      changed = true;
      if (PLACEHOLDERS[key] !== undefined) doc[key] = PLACEHOLDERS[key];
      else delete doc[key];
    }
    for (const [list, indexes] of dropElements) {
      const items = doc[list] as unknown[];
      for (const i of indexes) {
        const item = items[i] as { id?: unknown; code?: unknown } | null;
        for (const name of [item?.id, item?.code]) if (typeof name === 'string') droppedNames.add(name);
      }
      doc[list] = items.filter((_, i) => !indexes.has(i));
      kept.set(list, kept.get(list)!.filter((_, i) => !indexes.has(i)));
      changed = true;
    }
    if (!changed) return null;
  }
  return null;
}
