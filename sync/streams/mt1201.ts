// Streams that carry an MT/T 1201 record type: a record line is the type's own encoding, and a
// batch is one national-format file (header~record~…~||), byte-exact as the platform expects.
import { encodeFile, type RecordTypeDef } from '../formats/mt1201-file.js';
import { defineStream, type Criticality, type Lane, type StreamDef } from '../stream.js';

export interface Mt1201StreamSpec<E, R> {
  name: string;
  recordType: RecordTypeDef<R>;
  lane: Lane;
  criticality: Criticality;
  historyRetentionMs: number | null;
  snapshotIntervalMs: number | null;
  /** Acquisition time of an appended entry, ms epoch. */
  timeOf(entry: E): number;
  /** The record inside an appended entry, when the entry wraps it (e.g. to add a snapshot time). */
  recordOf?: (entry: E) => R;
  /** Extended header fields of a definition file (CDDY, RYXX), between 矿井名称 and 数据上传时间. */
  headerExtra?: readonly string[];
}

export function defineMt1201Stream<E, R = E>(spec: Mt1201StreamSpec<E, R>): StreamDef<E> {
  const { recordType } = spec;
  const recordOf = spec.recordOf ?? ((entry: E) => entry as unknown as R);
  return defineStream<E>({
    name: spec.name,
    type: recordType.type,
    lane: spec.lane,
    criticality: spec.criticality,
    historyRetentionMs: spec.historyRetentionMs,
    snapshotIntervalMs: spec.snapshotIntervalMs,
    timeOf: spec.timeOf,
    toLine: (entry) => recordType.encode(recordOf(entry)),
    encodeBatch: (lines, header) => {
      // Every line came from toLine() = recordType.encode(), which checked each field as it wrote it.
      const head = { mineCode: header.mineCode, mineName: header.mineName, uploadTime: header.uploadTime, ...(spec.headerExtra ? { extra: [...spec.headerExtra] } : {}) };
      const file = encodeFile(recordType.type, head, lines, {
        encoding: header.encoding,
        linesFromEncoder: true,
      });
      return { name: file.name, bytes: file.bytes };
    },
  });
}
