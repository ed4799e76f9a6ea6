// What the rest of the gateway sees of the safety kernel: a mirror of its state (outputs, holds,
// alarms …) refreshed by every snapshot the kernel sends, and its commands as promises. The
// mirror is never the authority: commands are decided by the engine in the kernel's process, and
// a command's promise resolves only once the kernel has applied it and sent the state after it.
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Alarm } from '../safety/alarms.js';
import type { FanSwitchCommand, ManualUnlockCommand, RemoteCutCommand, RemoteReleaseCommand } from '../safety/engine-types.js';
import { SafetyCommandError } from '../safety/errors.js';
import type { SafetyEvent } from '../safety/events.js';
import type { FailSafeState } from '../safety/fail-safe.js';
import type { Hold } from '../safety/holds.js';
import { buildSafetyPlan, type SafetyPlan } from '../safety/plan.js';
import type { CycleStats, OutputStatus, SafetyEventListener, TestPulseResult } from '../safety/safety-loop.js';
import type { SafetyStore } from '../safety/store.js';
import type { WriteAheadStats } from '../safety/write-ahead-journal.js';
import type { KernelOp, KernelState } from './protocol.js';

export type KernelCall = (op: KernelOp, args: unknown[]) => Promise<unknown>;

let presets: PresetLibrary | undefined;

/** The engine as the gateway process sees it: the plan (from the same config), the mirror, commands. */
export class EngineView {
  readonly plan: SafetyPlan;

  constructor(
    loaded: LoadedConfig,
    private readonly mirror: () => KernelState,
    private readonly call: KernelCall,
  ) {
    this.plan = buildSafetyPlan(loaded.config, (presets ??= loadPresets()));
  }

  holds(): Hold[] {
    return this.mirror().holds;
  }

  alarms(): Alarm[] {
    return this.mirror().alarms;
  }

  activeRemoteCuts(): KernelState['remoteCuts'] {
    return this.mirror().remoteCuts;
  }

  fanLocked(fanId: string): boolean {
    return this.mirror().fans.find((f) => f.id === fanId)?.locked ?? false;
  }

  activeFan(fanId: string): 'main' | 'standby' | undefined {
    return this.mirror().fans.find((f) => f.id === fanId)?.active;
  }

  /** `now` is the caller's clock; the kernel applies the command at its own time. */
  acknowledge(operator: string, _now?: number): Promise<void> {
    return this.call('acknowledge', [operator]) as Promise<void>;
  }

  manualUnlock(cmd: ManualUnlockCommand, _now?: number): Promise<void> {
    return this.call('manualUnlock', [cmd]) as Promise<void>;
  }

  remoteCut(cmd: RemoteCutCommand, _now?: number): Promise<void> {
    return this.call('remoteCut', [cmd]) as Promise<void>;
  }

  remoteRelease(cmd: RemoteReleaseCommand, _now?: number): Promise<void> {
    return this.call('remoteRelease', [cmd]) as Promise<void>;
  }

  switchLocalFan(cmd: FanSwitchCommand, _now?: number): Promise<void> {
    return this.call('switchLocalFan', [cmd]) as Promise<void>;
  }
}

/** The SafetyLoop's surface for capabilities, control handlers and status, across the thread boundary. */
export class SafetyClient {
  readonly engine: EngineView;
  private readonly listeners: SafetyEventListener[] = [];

  constructor(
    private readonly loaded: LoadedConfig,
    /** The SQLite journal of safety records, in the gateway process (events, calibrations). */
    readonly store: SafetyStore,
    private readonly mirror: () => KernelState,
    private readonly call: KernelCall,
    private readonly onListenerError: (err: Error) => void,
  ) {
    this.engine = new EngineView(loaded, mirror, call);
  }

  onEvents(listener: SafetyEventListener): void {
    this.listeners.push(listener);
  }

  /** The host hands every event batch the kernel delivered to the listeners; one failing never stops the rest. */
  deliver(events: readonly SafetyEvent[]): void {
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (err) {
        this.onListenerError(err as Error);
      }
    }
  }

  outputs(): OutputStatus[] {
    return this.mirror().outputs;
  }

  failSafeState(): FailSafeState | undefined {
    return this.mirror().failSafe;
  }

  writeAheadStats(): WriteAheadStats | undefined {
    return this.mirror().writeAhead;
  }

  cycleStats(): CycleStats {
    return this.mirror().cycle;
  }

  calibratingPoints(): string[] {
    return this.mirror().calibrating;
  }

  isCalibrating(point: string): boolean {
    return this.mirror().calibrating.includes(point);
  }

  acknowledge(operator: string): Promise<void> {
    return this.engine.acknowledge(operator);
  }

  manualUnlock(cmd: ManualUnlockCommand): Promise<void> {
    return this.engine.manualUnlock(cmd);
  }

  remoteCut(cmd: RemoteCutCommand): Promise<void> {
    return this.engine.remoteCut(cmd);
  }

  remoteRelease(cmd: RemoteReleaseCommand): Promise<void> {
    return this.engine.remoteRelease(cmd);
  }

  switchLocalFan(cmd: FanSwitchCommand): Promise<void> {
    return this.engine.switchLocalFan(cmd);
  }

  setCalibrating(point: string, on: boolean): Promise<void> {
    if (!this.loaded.pointsByCode.has(point)) return Promise.reject(new SafetyCommandError('UNKNOWN_TARGET', `no point "${point}"`));
    return this.call('setCalibrating', [point, on]) as Promise<void>;
  }

  testPulse(outputId: string, pulseMs: number): Promise<TestPulseResult> {
    return this.call('testPulse', [outputId, pulseMs]) as Promise<TestPulseResult>;
  }

  /**
   * A warning output on or off for another part (evacuation 撤人). Checked here so a wrong call
   * fails at its caller; applied by the kernel without waiting.
   */
  requestSignal(source: string, outputId: string, on: boolean): void {
    const output = this.loaded.config.outputs.find((o) => o.id === outputId);
    if (!output) throw new RangeError(`SafetyLoop.requestSignal: no output "${outputId}"`);
    if (output.kind === 'power' || output.kind === 'heartbeat') throw new TypeError(`SafetyLoop.requestSignal: output "${outputId}" is a ${output.kind} output; only warning outputs can be requested`);
    void this.call('requestSignal', [source, outputId, on]).catch(() => undefined);
  }

  /** Start the kernel's event-loop stall figure afresh (a bench measures from its first trial, not from start-up). */
  resetStallFigure(): Promise<void> {
    return this.call('resetStall', []) as Promise<void>;
  }

  /** The kernel's stall figures since start or the last reset (as of the mirror: `sync()` first for now). */
  stallFigures(): Pick<KernelState, 'maxStallMs' | 'stallP99Ms' | 'longestReadingCycleMs'> {
    const { maxStallMs, stallP99Ms, longestReadingCycleMs } = this.mirror();
    return { maxStallMs, stallP99Ms, longestReadingCycleMs };
  }

  /** Resolves once the mirror holds the kernel's state as of now (a round trip). */
  sync(): Promise<void> {
    return this.call('sync', []) as Promise<void>;
  }

  /** Drive the fail-safe state now (process-guard.ts); resolves once the writes are answered. */
  processFault(reason: string): Promise<void> {
    return this.call('processFault', [reason]) as Promise<void>;
  }
}
