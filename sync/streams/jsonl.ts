// Streams of minegate's own (gap markers, security events, command results) have no MT/T 1201
// type, so they travel as JSON Lines: a header object, then one JSON object per record. They get
// the same sequence numbers, hash chain and signature as the national-format streams.
import { formatStamp } from '../../core/mine-time.js';
import { defineStream, type BatchHeader, type Criticality, type Lane, type StreamDef } from '../stream.js';

export interface JsonlStreamSpec<R> {
  name: string;
  type: string;
  lane: Lane;
  criticality: Criticality;
  historyRetentionMs: number | null;
  timeOf(record: R): number;
}

export interface JsonlHeader {
  type: string;
  mineCode: string;
  mineName: string;
  /** ms epoch */
  uploadTime: number;
}

export function defineJsonlStream<R extends object>(spec: JsonlStreamSpec<R>): StreamDef<R> {
  return defineStream<R>({
    ...spec,
    snapshotIntervalMs: null,
    // JSON.stringify escapes control characters, so a line can never contain a raw newline.
    toLine: (record) => JSON.stringify(record),
    encodeBatch: (lines, header) => ({
      name: fileName(spec.type, header),
      bytes: Buffer.from(`${[headLine(spec.type, header), ...lines].join('\n')}\n`, 'utf8'),
    }),
    // What the outbox uses: the lines arrive already UTF-8 encoded, each with its '\n' (one copy here).
    encodeUtf8Body: (body, header) => {
      const head = Buffer.from(`${headLine(spec.type, header)}\n`, 'utf8');
      return { name: fileName(spec.type, header), bytes: Buffer.concat([head, body], head.length + body.length) };
    },
  });
}

function headLine(type: string, header: BatchHeader): string {
  const head: JsonlHeader = { type, mineCode: header.mineCode, mineName: header.mineName, uploadTime: header.uploadTime };
  return JSON.stringify(head);
}

function fileName(type: string, header: BatchHeader): string {
  return `${header.mineCode}_${type}_${formatStamp(header.uploadTime)}.jsonl`;
}

/** Reads a JSON Lines batch back (receiver side). Throws on anything but header + object lines. */
export function parseJsonlBatch(bytes: Buffer): { header: JsonlHeader; records: Record<string, unknown>[] } {
  const text = bytes.toString('utf8');
  if (!text.endsWith('\n')) throw new Error('JSON Lines batch does not end with a newline (truncated)');
  const lines = text.slice(0, -1).split('\n');
  const objects = lines.map((line, i) => {
    const value: unknown = JSON.parse(line);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${i + 1} is not a JSON object`);
    return value as Record<string, unknown>;
  });
  const header = objects.shift() as unknown as JsonlHeader | undefined;
  if (!header || typeof header.type !== 'string' || typeof header.mineCode !== 'string') throw new Error('JSON Lines batch has no header line');
  return { header, records: objects };
}
