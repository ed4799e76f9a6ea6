// What the gateway reports about itself (`status()`, `minegate status --json`) and the shape of a
// readings listener. Types only, apart from the Gateway class, so that capabilities, the status
// views and the control handlers can name them without importing the runtime (no import cycle).
import type { ModbusMasterStats } from '../protocols/modbus/master.js';
import type { Quality, Reading } from '../core/readings.js';
import type { KernelState } from './kernel/protocol.js';
import type { DeviceStatus } from './poller.js';
import type { OutputStatus } from './safety/safety-loop.js';
import type { ReadingWriter } from './store/reading-store.js';

export interface PointStatus {
  code: string;
  name: string;
  device: string;
  value: number | null;
  unit: string;
  quality: Quality;
  ageMs: number;
}

export interface BusStatus {
  id: string;
  open: boolean;
  stats: ModbusMasterStats;
}

export interface GatewayStatus {
  points: PointStatus[];
  devices: DeviceStatus[];
  buses: BusStatus[];
  store: ReturnType<ReadingWriter['stats']>;
  outputs: OutputStatus[];
  holds: KernelState['holds'];
  alarms: KernelState['alarms'];
  /** The safety kernel's cadence: cycles, age of the last one, worst stall, dropped copies. */
  kernel: { alive: boolean; pid: number | null; cycles: number; lastCycleAgeMs: number; maxCycleMs: number; maxTickGapMs: number; maxStallMs: number; dropped: KernelState['dropped'] };
  /** The log file: lines dropped (disk full, stalled, pipe gone) and the newest write error; zeros when logging nowhere. */
  log: { dropped: number; failures: number; lastError: string | null };
  /** Machine-readable status of each started capability, by name. */
  capabilities: Record<string, unknown>;
}

export type ReadingListener = (readings: readonly Reading[], device: DeviceStatus) => void;
