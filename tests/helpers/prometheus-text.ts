// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it throws on anything
// a Prometheus server would reject or misread (bad names, escapes or values, a sample before its
// TYPE, a family split in two, duplicate series, histogram buckets that are not cumulative or
// whose +Inf bucket differs from _count). parse-prometheus-text-format (the npm parser) was tried
// and not used: it merges a labelled histogram's series into one (per-device buckets are lost)
// and accepts non-numeric values.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: (typeof TYPES)[number];
  help: string | undefined;
  samples: Sample[];
}

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in: ${line}`);
  return Number(text);
}

function parseSample(line: string): Sample {
  const m = /^([^\s{]+)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
  if (!m) throw new Error(`not a sample line: ${line}`);
  const name = m[1]!;
  if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? '';
  while (rest.length > 0) {
    const lm = /^([^=\s]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (!lm) throw new Error(`bad labels in: ${line}`);
    const [all, lname, raw] = lm as unknown as [string, string, string];
    if (!LABEL.test(lname) || lname.startsWith('__')) throw new Error(`bad label name ${lname} in: ${line}`);
    if (lname in labels) throw new Error(`label ${lname} twice in: ${line}`);
    if (/\\[^\\n"]/.test(raw.replace(/\\\\/g, ''))) throw new Error(`bad escape in label value: ${line}`);
    labels[lname] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return { name, labels, value: parseValue(m[4]!, line) };
}

/** The family a sample belongs to (histogram samples carry _bucket/_sum/_count). */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const f = m ? families.get(m[1]!) : undefined;
  return f && (f.type === 'histogram' || (f.type === 'summary' && m![2] !== 'bucket')) ? f : undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (closed.has(name)) throw new Error(`family ${name} appears twice (not contiguous)`);
      if (current && current.name !== name) closed.add(current.name);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
      if (what === 'TYPE') {
        if (f.samples.length > 0) throw new Error(`TYPE after samples of ${name}`);
        if (!TYPES.includes(rest as Family['type'])) throw new Error(`bad type in: ${line}`);
        f.type = rest as Family['type'];
      } else {
        if (f.help !== undefined) throw new Error(`HELP twice for ${name}`);
        f.help = rest ?? '';
      }
      current = f;
      continue;
    }
    if (line.startsWith('#')) continue;
    const s = parseSample(line);
    const f = familyOf(s.name, families);
    if (!f) throw new Error(`sample ${s.name} has no TYPE before it`);
    if (f !== current) throw new Error(`sample ${s.name} outside its family's block`);
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${line}`);
    seen.add(key);
    f.samples.push(s);
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const e = series.get(key) ?? { buckets: [] };
    series.set(key, e);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}_bucket without le`);
      e.buckets.push([parseValue(le, le), s.value]);
    } else if (s.name === `${f.name}_count`) e.count = s.value;
    else if (s.name === `${f.name}_sum`) e.sum = s.value;
    else throw new Error(`histogram ${f.name} has a plain sample`);
  }
  for (const [key, e] of series) {
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.at(-1)?.[0] !== Infinity) throw new Error(`histogram ${f.name}${key} has no +Inf bucket`);
    sorted.forEach(([, n], i) => {
      if (i > 0 && n < sorted[i - 1]![1]) throw new Error(`histogram ${f.name}${key} buckets not cumulative`);
    });
    if (e.count !== sorted.at(-1)![1]) throw new Error(`histogram ${f.name}${key}: +Inf bucket ${sorted.at(-1)![1]} != _count ${e.count}`);
    if (e.sum === undefined) throw new Error(`histogram ${f.name}${key} has no _sum`);
  }
}

/** The value of one series, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
