// Tags that are not in the roster (人卡不符?) and readers that are not configured stations: each
// reported once, as an event, up to a bound (a flood of garbage must not grow memory).
import type { PersonnelContext } from './engine-context.js';
import type { PersonnelSighting } from './sighting.js';

export class UnknownSources {
  private readonly tags = new Set<number>();
  private readonly readers = new Set<number>();

  constructor(
    private readonly ctx: PersonnelContext,
    private readonly limit: number,
  ) {}

  /** A sighting the engine cannot place: an unknown tag, or a known tag at an unknown reader. */
  sighting(s: PersonnelSighting, unknownTag: boolean): void {
    this.ctx.counters.unknown++;
    const seen = unknownTag ? this.tags : this.readers;
    const id = unknownTag ? s.tag : s.reader;
    if (seen.has(id) || seen.size >= this.limit) return;
    seen.add(id);
    this.ctx.raise(
      unknownTag
        ? { type: 'unknown-card', tag: s.tag, reader: s.reader, message: `tag ${s.tag} seen at reader ${s.reader} is not in the roster (人卡不符?)` }
        : { type: 'unknown-reader', reader: s.reader, tag: s.tag, message: `reader ${s.reader} is not a configured station` },
      s.monoTime,
      s.wallTime,
    );
  }

  /** A state report from a reader that is not a configured station. */
  readerState(reader: number): void {
    if (this.readers.has(reader) || this.readers.size >= this.limit) return;
    this.readers.add(reader);
    this.ctx.raise({ type: 'unknown-reader', reader, message: `state of reader ${reader}, which is not a configured station` });
  }
}
