// A stored batch as the uplink publishes it: its topic, its payload, and the MQTT 5 user
// properties (format version, stream, sequence range, file name, hash chain, signature) the
// receiver checks it by. Benches and tests build the same message to feed a receiver directly.
import type { StoredBatch } from './outbox.js';
import { BATCH_FORMAT_VERSION, batchTopic, type BatchProperties } from './topics.js';

/** Topic, payload and MQTT 5 user properties of a stored batch, exactly as the uplink publishes it. */
export function batchMessage(mineCode: string, substation: string, batch: StoredBatch): { topic: string; payload: Buffer; properties: BatchProperties } {
  return {
    topic: batchTopic(mineCode, substation, batch.type),
    payload: batch.payload,
    properties: {
      v: BATCH_FORMAT_VERSION,
      stream: batch.stream,
      firstSeq: String(batch.firstSeq),
      lastSeq: String(batch.lastSeq),
      records: String(batch.records),
      name: batch.name,
      prevHash: batch.prevHash,
      hash: batch.hash,
      signature: batch.signature,
    },
  };
}
