// Streams that carry an MT/T 1201 record type: a record line is the type's own encoding, and a
// batch is one national-format file (header~record~…~||), byte-exact as the platform expects.
import { encodeFile, type RecordTypeDef } from '../formats/mt1201-file.js';
import { defineStream, type Criticality, type Lane, type StreamDef } from '../stream.js';

export interface Mt1201StreamSpec<R> {
  name: string;
  recordType: RecordTypeDef<R>;
  lane: Lane;
  criticality: Criticality;
  historyRetentionMs: number | null;
  snapshotIntervalMs: number | null;
  timeOf(record: R): number;
}

export function defineMt1201Stream<R>(spec: Mt1201StreamSpec<R>): StreamDef<R> {
  const { recordType } = spec;
  return defineStream<R>({
    name: spec.name,
    type: recordType.type,
    lane: spec.lane,
    criticality: spec.criticality,
    historyRetentionMs: spec.historyRetentionMs,
    snapshotIntervalMs: spec.snapshotIntervalMs,
    timeOf: spec.timeOf,
    toLine: (record) => recordType.encode(record),
    encodeBatch: (lines, header) => {
      const file = encodeFile(recordType.type, { mineCode: header.mineCode, mineName: header.mineName, uploadTime: header.uploadTime }, lines, {
        encoding: header.encoding,
      });
      return { name: file.name, bytes: file.bytes };
    },
  });
}
