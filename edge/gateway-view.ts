// The part of the gateway a control handler works with (ControlContext.gateway). The Gateway class
// satisfies it; naming it here instead of the class keeps the control contract, the capability
// contract and the runtime free of an import cycle (the gateway runs capabilities, capabilities
// bring control handlers, control handlers see the gateway).
import type { Clock } from '../core/clock.js';
import type { LoadedConfig } from './config/load-config.js';
import type { GatewayStatus, ReadingListener } from './gateway-status.js';
import type { SafetyClient } from './kernel/safety-client.js';
import type { SafetyEvent } from './safety/events.js';
import type { EventQuery } from './safety/store.js';
import type { StatusSection } from './status-view.js';

/** A running capability as a control handler sees it: found by name, asked for its events. */
export interface CapabilityEntry {
  readonly name: string;
  events?(query: EventQuery): SafetyEvent[];
}

export interface GatewayView {
  readonly loaded: LoadedConfig;
  readonly clock: Clock;
  /** The interlocks: a mirror of the kernel's state, and its commands. */
  readonly safety: SafetyClient;
  onReadings(listener: ReadingListener): void;
  /** The capabilities running now, in start order. */
  capabilityList(): readonly CapabilityEntry[];
  /** Status sections of the running capabilities. */
  capabilitySections(): StatusSection[];
  status(): GatewayStatus;
}
