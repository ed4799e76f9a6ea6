// Route files for the simulated personnel-positioning network: which readers exist, and where each
// card walks over time (enter at the shaft mouth, walk to the face, linger, leave). Validated up
// front with every problem reported as file:line:column, like scenario files.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BAUD_RATES } from '../../board-configs/schema.js';
import { type ConfigIssue, formatPath } from '../../core/config-error.js';
import { validateWithSchema } from '../../core/schema-issues.js';
import { readYamlSource, type YamlSource } from '../../core/yaml-source.js';
import { ScenarioError } from '../errors.js';

const address = z.number().int().min(1).max(247);
/** 0 and 0xFFFFFFFF are kept out of scripts: 0xFFFFFFFF means "all cards" in a page command. */
const tag = z.number().int().min(1).max(0xfffffffe);
const seconds = z.number().min(0);

export const ReaderSpecSchema = z.strictObject({
  /** Framed readers: RS-485 address 1..247 (the protocol allows up to 254; Modbus units stop at 247). */
  address,
  name: z.string().min(1),
  description: z.string().optional(),
  /** framed: minegate's RS-485 protocol on the shared line; modbus-fifo: a Modbus unit with a record FIFO. */
  protocol: z.enum(['framed', 'modbus-fifo']).default('framed'),
  /** Reader can page cards (framed readers only); default true for framed readers. */
  canPage: z.boolean().optional(),
  power: z.enum(['ac', 'dc', 'fault']).default('ac'),
});
export type ReaderSpec = z.infer<typeof ReaderSpecSchema>;

export const RouteStopSchema = z.strictObject({
  reader: address,
  /** Scenario second the card comes into the reader's range. */
  at: seconds,
  /** Seconds it stays in range. */
  dwell: z.number().positive(),
});
export type RouteStop = z.infer<typeof RouteStopSchema>;

/** A plain number is a single press at that second. */
export const SosPressSchema = z.union([seconds.transform((at) => ({ at, double: false })), z.strictObject({ at: seconds, double: z.boolean().default(false) })]);

export const CardScriptSchema = z.strictObject({
  tag,
  /** Who carries it (free text, for logs). */
  name: z.string().optional(),
  route: z.array(RouteStopSchema).default([]),
  /** Scenario seconds the SOS button is pressed. */
  sos: z.array(SosPressSchema).default([]),
  /** From this scenario second the card reports low battery. */
  lowBatteryAt: seconds.optional(),
});
export type CardScript = z.infer<typeof CardScriptSchema>;
export type CardScriptInput = z.input<typeof CardScriptSchema>;

export const RouteFileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Seed for RSSI/distance jitter: same seed, same readings. */
  seed: z.number().int().default(1),
  /** Each reader reports the cards in its range this often. */
  reportIntervalS: z.number().min(0.05).max(60).default(1),
  /** Line speed of the framed readers' RS-485 line. */
  baudRate: z
    .number()
    .int()
    .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `one of ${BAUD_RATES.join(', ')}`)
    .default(9600),
  readers: z.array(ReaderSpecSchema).min(1, 'a route file needs at least one reader'),
  cards: z.array(CardScriptSchema).default([]),
});
export type RouteFile = z.infer<typeof RouteFileSchema>;

/** Read and validate a route file. Throws ScenarioError listing every problem. */
export function loadRoutes(file: string): RouteFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ScenarioError('SCENARIO_NOT_FOUND', file, [{ file, line: 0, column: 0, path: '(file)', message: `cannot read route file (${why})` }]);
  }
  return parseRoutes(text, file);
}

/** Validate route-file YAML text; `file` names it in errors. */
export function parseRoutes(text: string, file: string): RouteFile {
  const source = readYamlSource(text, file);
  if (source.issues.length > 0) throw new ScenarioError('SCENARIO_INVALID', file, source.issues);
  const result = validateWithSchema(RouteFileSchema, source);
  if (!result.ok) throw new ScenarioError('SCENARIO_INVALID', file, result.issues);
  const issues = crossCheck(result.value, source);
  if (issues.length > 0) throw new ScenarioError('SCENARIO_INVALID', file, issues);
  return result.value;
}

/** References between readers and cards, and route order. */
function crossCheck(routes: RouteFile, source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  checkRoutes(routes, (path, message) => issues.push({ file: source.file, ...source.locate(path), path: formatPath(path), message }));
  return issues;
}

/**
 * Reader addresses and names unique, cards' tags unique, route stops at known readers and in order.
 * Paths are relative to the object holding `readers` and `cards` (scenario files prefix them).
 */
export function checkRoutes(routes: Pick<RouteFile, 'readers' | 'cards'>, issue: (path: PropertyKey[], message: string) => void): void {
  const readers = new Map<number, number>();
  const names = new Map<string, number>();
  routes.readers.forEach((r, i) => {
    const other = readers.get(r.address);
    if (other !== undefined) issue(['readers', i, 'address'], `reader address ${r.address} is already used by readers[${other}]`);
    else readers.set(r.address, i);
    const sameName = names.get(r.name);
    if (sameName !== undefined) issue(['readers', i, 'name'], `reader name "${r.name}" is already used by readers[${sameName}]`);
    else names.set(r.name, i);
    if (r.protocol === 'modbus-fifo' && r.canPage === true) issue(['readers', i, 'canPage'], 'paging needs a framed reader; modbus-fifo readers cannot page');
  });
  const tags = new Map<number, number>();
  routes.cards.forEach((c, i) => {
    const other = tags.get(c.tag);
    if (other !== undefined) issue(['cards', i, 'tag'], `tag ${c.tag} is already used by cards[${other}] (use cloneTag for a cloned card)`);
    else tags.set(c.tag, i);
    c.route.forEach((stop, s) => {
      if (!readers.has(stop.reader)) issue(['cards', i, 'route', s, 'reader'], `no reader ${stop.reader}; readers are ${[...readers.keys()].join(', ')}`);
      const prev = c.route[s - 1];
      if (prev && stop.at < prev.at + prev.dwell) {
        issue(['cards', i, 'route', s, 'at'], `the card is still at reader ${prev.reader} until ${prev.at + prev.dwell} s (at ${prev.at} + dwell ${prev.dwell}); stops must not overlap`);
      }
    });
  });
}
