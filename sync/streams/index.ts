// Registry of upstream streams. Adding a record type = one file in this folder + one line here.
import type { StreamDef } from '../stream.js';
import { cdssStream } from './cdss.js';
import { commandAckStream } from './command-ack.js';
import { fzssStream } from './fzss.js';
import { gapStream } from './gap.js';
import { jzssStream } from './jzss.js';
import { rycsStream } from './rycs.js';
import { rycyStream } from './rycy.js';
import { ryqjStream } from './ryqj.js';
import { ryssStream } from './ryss.js';
import { ryxzStream } from './ryxz.js';
import { sealStream } from './seal.js';
import { securityStream } from './security.js';
import { tjsjStream } from './tjsj.js';
import { ycbjStream } from './ycbj.js';

export const STREAMS: readonly StreamDef<any>[] = Object.freeze([
  ycbjStream,
  cdssStream,
  fzssStream,
  tjsjStream,
  jzssStream,
  ryssStream,
  ryqjStream,
  rycsStream,
  rycyStream,
  ryxzStream,
  sealStream,
  gapStream,
  securityStream,
  commandAckStream,
]);

export function streamByName(name: string): StreamDef<any> | undefined {
  return STREAMS.find((s) => s.name === name);
}

export { cdssStream, commandAckStream, fzssStream, gapStream, jzssStream, rycsStream, rycyStream, ryqjStream, ryssStream, ryxzStream, sealStream, securityStream, tjsjStream, ycbjStream };
export type { SealAlarmEntry } from './seal.js';
export type { RyssSnapshotEntry } from './ryss.js';
