// Personnel positioning upstream, when the personnel capability runs: RYSS snapshots of everyone
// on the roster and JZSS station status on their intervals, and the national alarm files (RYCS
// overtime, RYCY over-manning, RYXZ restricted area, RYQJ SOS) when an alarm starts and ends.
// The capability is reached through this narrow adapter only, so its insides can change freely.
import type { EvacuationCommand, EvacuationView, StandDownCommand } from '../../edge/personnel/engine.js';
import type { PersonnelEvent } from '../../edge/personnel/events.js';
import { alarmRecord, snapshotRecords, stationStatusRecords, type PersonnelRecordSource } from '../../edge/personnel/records.js';
import type { Outbox } from '../outbox.js';
import { jzssStream, rycsStream, rycyStream, ryqjStream, ryssStream, ryxzStream } from '../streams/index.js';

/** What sync needs from the personnel capability (edge/personnel/personnel-capability.ts fits). */
export interface PersonnelSource {
  readonly engine: PersonnelRecordSource & { startEvacuation(cmd: EvacuationCommand): EvacuationView; endEvacuation(cmd: StandDownCommand): void };
  onEvent(listener: (e: PersonnelEvent) => void): () => void;
}

export function isPersonnelSource(c: unknown): c is PersonnelSource {
  return typeof c === 'object' && c !== null && typeof (c as { onEvent?: unknown }).onEvent === 'function' && 'engine' in c;
}

export interface PersonnelFeedStats {
  ryssSnapshots: number;
  jzssSnapshots: number;
  alarmRecords: number;
  /** Snapshots or alarm records that could not be built (logged). */
  errors: number;
}

export class PersonnelFeed {
  private readonly counters: PersonnelFeedStats = { ryssSnapshots: 0, jzssSnapshots: 0, alarmRecords: 0, errors: 0 };
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: PersonnelSource,
    private readonly outbox: Outbox,
    private readonly onError: (what: string, err: unknown) => void,
  ) {
    this.unsubscribe = source.onEvent((e) => this.onEvent(e));
  }

  /** RYSS: one record per person known to positioning. */
  snapshotPeople(now: number): void {
    try {
      for (const record of snapshotRecords(this.source.engine)) this.outbox.append(ryssStream, { snapshotTime: now, record });
      this.counters.ryssSnapshots++;
    } catch (err) {
      this.counters.errors++;
      this.onError('RYSS snapshot', err);
    }
  }

  /** JZSS: one record per positioning station. */
  snapshotStations(now: number): void {
    try {
      for (const record of stationStatusRecords(this.source.engine, now)) this.outbox.append(jzssStream, record);
      this.counters.jzssSnapshots++;
    } catch (err) {
      this.counters.errors++;
      this.onError('JZSS snapshot', err);
    }
  }

  stats(): PersonnelFeedStats {
    return { ...this.counters };
  }

  close(): void {
    this.unsubscribe();
  }

  private onEvent(e: PersonnelEvent): void {
    if ((e.type !== 'alarm-start' && e.type !== 'alarm-end') || !e.alarm) return;
    try {
      const r = alarmRecord(this.source.engine, e.alarm, e.wallTime);
      if (!r) return;
      this.counters.alarmRecords++;
      if (r.type === 'RYCS') this.outbox.append(rycsStream, r.record);
      else if (r.type === 'RYCY') this.outbox.append(rycyStream, r.record);
      else if (r.type === 'RYXZ') this.outbox.append(ryxzStream, r.record);
      else this.outbox.append(ryqjStream, r.record);
    } catch (err) {
      this.counters.errors++;
      this.onError(`personnel alarm record (${e.alarm.kind})`, err);
    }
  }
}
