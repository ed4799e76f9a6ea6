// A capability is one optional part of the runtime (personnel positioning, electronic seals,
// upstream sync, the control socket …) that plugs into the gateway without the gateway knowing
// its insides: it owns its tables (migrations under its own component name), starts after the
// polling core and the interlocks are up, stops before them, and adds a section to the status.
import type Database from 'better-sqlite3';
import type { ModbusPort } from '../drivers/modbus-device.js';
import type { Clock } from '../core/clock.js';
import type { ControlHandler } from './control/context.js';
import type { LoadedConfig } from './config/load-config.js';
import type { GatewayStatus, ReadingListener } from './gateway-status.js';
import type { Logger } from './log.js';
import type { PointTable } from './point-table.js';
import type { SafetyClient } from './kernel/safety-client.js';
import type { SafetyEvent } from './safety/events.js';
import type { EventQuery } from './safety/store.js';
import type { StatusSection } from './status-view.js';
import type { Migration } from './store/database.js';

export interface CapabilityContext {
  loaded: LoadedConfig;
  dataDir: string;
  db: Database.Database;
  clock: Clock;
  /** A child logger named after the capability. */
  logger: Logger;
  points: PointTable;
  /** A field bus, through the safety kernel that owns it. */
  master(busId: string): ModbusPort;
  /** The interlocks: a mirror of the kernel's state, and its commands. */
  safety: SafetyClient;
  /** Every batch of readings, after the interlocks have seen it. Keep listeners cheap. */
  onReadings(listener: ReadingListener): void;
  /** The gateway's status right now (points, devices, outputs, holds, store, capabilities). */
  status(): GatewayStatus;
  /** Another capability started before this one (e.g. seals look up personnel). */
  capability<T extends Capability>(name: string): T | undefined;
}

export interface Capability {
  /** Also the component name of its migrations. */
  readonly name: string;
  readonly migrations?: readonly Migration[];
  start(ctx: CapabilityContext): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Sections for the live status table. */
  status?(): StatusSection[];
  /** Machine-readable status (`minegate status --json`). */
  statusJson?(): unknown;
  /** Commands of its own on the control socket (e.g. `sync status`, `sync now`). */
  controlHandlers?(): ControlHandler[];
  /** Entries of its own for `minegate events` (e.g. rejected platform commands), newest first. */
  events?(query: EventQuery): SafetyEvent[];
}
