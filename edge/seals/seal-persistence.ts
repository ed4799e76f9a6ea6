// The seal state on disk: after every input the pending events and (when something changed) the
// whole state are written in one go; a failing store keeps them in memory and retries on the next
// input, never blocking a rule. At start the saved state is restored against the current config.
import type { CounterSet } from '../../drivers/seal-camera.js';
import { type AlarmBook, alarmFields } from './alarm-book.js';
import type { SealEventLog } from './event-log.js';
import { SEAL_RULES } from './events.js';
import type { IllegalProduction } from './illegal-production.js';
import { type SealRuntime, zero } from './seal-runtime.js';
import type { ShiftHeadcount } from './shift-headcount.js';
import type { PersistedMode, PersistedSealState, SealStateStore } from './store.js';

export class SealPersistence {
  /** The last write error, null while the store takes writes. */
  storeError: string | null = null;

  constructor(
    private readonly rt: SealRuntime,
    private readonly events: SealEventLog,
    private readonly alarms: AlarmBook,
    private readonly shift: ShiftHeadcount,
    private readonly production: IllegalProduction,
    private readonly store: SealStateStore | undefined,
  ) {}

  persist(): void {
    const ev = this.events;
    if (!this.store) {
      ev.pending = [];
      this.rt.dirty = false;
      return;
    }
    // Say how many were lost once the store takes writes again (the notice itself is then written).
    if (ev.dropped > 0 && this.storeError === null) {
      const n = ev.dropped;
      ev.dropped = 0;
      ev.emit({ type: 'events-dropped', position: this.rt.minePosition(), count: n, message: `${n} seal events were dropped while the store was failing` }, this.rt.clock.wall());
    }
    if (!this.rt.dirty && ev.pending.length === 0) return;
    try {
      this.store.write({ state: this.snapshotState(), events: ev.pending });
      ev.pending = [];
      this.rt.dirty = false;
      if (this.storeError !== null) this.rt.log?.info('seal store writable again');
      this.storeError = null;
      if (ev.dropped > 0) this.persist();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (this.storeError === null) this.rt.log?.warn({ err: why, pending: ev.pending.length }, 'seal store write failed; keeping events in memory and retrying');
      this.storeError = why;
    }
  }

  private snapshotState(): PersistedSealState {
    const totals: Record<string, CounterSet> = {};
    const modes: Record<string, PersistedMode> = {};
    for (const m of this.rt.mouths.values()) {
      totals[m.cfg.id] = { ...m.totals };
      modes[m.cfg.id] = { ...m.mode };
    }
    const cameras: PersistedSealState['cameras'] = {};
    for (const [id, c] of this.rt.cameras) {
      const b = c.counter.baseline;
      if (b) cameras[id] = b;
    }
    return {
      version: 1,
      nextSeq: this.events.nextSeq,
      shift: Number.isNaN(this.shift.shiftStart) ? null : { startWall: this.shift.shiftStart, baseline: this.shift.baseline, totals },
      modes,
      cameras,
      alarms: this.alarms.list(),
      entries: Object.fromEntries([...this.rt.mouths.values()].map((m) => [m.cfg.id, m.entries.map((e) => ({ ...e }))])),
      savedWall: this.rt.clock.wall(),
    };
  }

  /** Carry on from the saved state; what the config no longer has ends or is dropped. */
  restore(saved: PersistedSealState, now: number): void {
    const { mouths, cameras, loads } = this.rt;
    this.events.nextSeq = Math.max(this.events.nextSeq, saved.nextSeq);
    if (saved.shift) {
      this.shift.shiftStart = saved.shift.startWall;
      this.shift.baseline = saved.shift.baseline;
      for (const [id, t] of Object.entries(saved.shift.totals)) {
        const m = mouths.get(id);
        if (m) m.totals = { ...zero(), ...t };
      }
    }
    for (const [id, mode] of Object.entries(saved.modes)) {
      const m = mouths.get(id);
      if (!m) continue;
      // An operator's switch survives a restart, unless the declared mode in the config was changed
      // since (a new official stop order written into the config must win over an old switch).
      if (mode.configMode === m.cfg.mode) m.mode = { ...mode };
      else if (mode.mode === m.cfg.mode) {
        m.mode = { ...mode, configMode: m.cfg.mode };
        this.rt.dirty = true;
      }
      else this.production.applyMode(m, m.cfg.mode, 'config', `declared mode in the config changed from ${mode.configMode} to ${m.cfg.mode}`, now);
    }
    // The entries of the card check's window survive a restart like the check-ins they are matched
    // with (PersonnelCapability.rebuildCheckIns): a person without a card who walked in just before a
    // restart must still raise 人员未带卡 (domain.md §3: all persons entering must carry a card, S23;
    // 矿安综〔2021〕60号 forbids entry without a card, S20). Old documents have none.
    for (const [id, list] of Object.entries(saved.entries ?? {})) {
      const m = mouths.get(id);
      if (!m) continue;
      m.entries = list.filter((e) => cameras.has(e.cameraId) && Number.isFinite(e.wall) && Number.isInteger(e.count)).map((e) => ({ ...e }));
    }
    for (const a of saved.alarms) {
      const known =
        (a.shaftMouth === undefined || mouths.has(a.shaftMouth)) &&
        (a.cameraId === undefined || cameras.has(a.cameraId)) &&
        (a.load === undefined || loads.some((l) => l.cfg.id === a.load));
      if (known) this.alarms.restore(a);
      else this.events.emit({ type: 'alarm-off', ...alarmFields(a), message: `${SEAL_RULES[a.rule]} ended: no longer configured` }, now);
    }
    for (const a of this.alarms.values()) {
      // A camera that was offline must prove itself again before its alarm ends.
      if (a.rule === 'camera-offline' && a.cameraId) cameras.get(a.cameraId)!.state = 'offline';
    }
  }
}
