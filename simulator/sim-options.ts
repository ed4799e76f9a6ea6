// What a SubstationSimulator is built and started with, and where each of its buses can be reached.
import type { SimWorld } from './world-state.js';

export interface SimulatorOptions {
  /** How often signals and events are evaluated, ms. */
  tickMs?: number;
  /** One human-readable line per notable thing (servers up, events, gateway writes). */
  log?: (line: string) => void;
  /** Where device profiles are read from (default: board-configs/profiles). */
  profilesDir?: string;
}

export const SIMULATOR_DEFAULTS = {
  tickMs: 100,
  /** Line speed of RTU buses whose scenario gives none. */
  baudRate: 9600,
  log: (_line: string): void => {},
} as const;

export interface StartOptions {
  /** Start with the scenario clock stopped at 0: signals and events run only on advanceTo(). */
  paused?: boolean;
  /** Continue a world saved by world() (simulator/world-state.ts) instead of starting at 0. */
  resume?: SimWorld;
}

/** Where a bus can be reached once started. */
export interface BusEndpointInfo {
  id: string;
  type: 'tcp' | 'rtu-over-tcp' | 'rtu-pty';
  /** TCP kinds: the address and the port actually bound (useful with port 0). */
  host?: string;
  port?: number;
  /** rtu-pty: the path the gateway opens, and the other end the simulator serves. */
  link?: string;
  servedPath?: string;
  /** RTU kinds: the line speed used for reply timing. */
  baudRate?: number;
}
