// The state of outputs as the relay module reports it, for command results and audit before/after
// values, and a non-blocking wait for a command's effect to be confirmed on the wire.
import type { GatewayView } from '../gateway-view.js';

export interface OutputState {
  energize: boolean;
  /** Read back from the relay module; null while the write is pending. */
  confirmed: boolean | null;
  holds: string[];
}

export const OUTPUT_WAIT_DEFAULTS = { pollMs: 20 } as const;

export function outputsState(gateway: GatewayView, ids: readonly string[]): Record<string, OutputState> {
  const state: Record<string, OutputState> = {};
  for (const o of gateway.safety.outputs()) {
    if (ids.includes(o.id)) state[o.id] = { energize: o.energize, confirmed: o.confirmed, holds: [...o.holds] };
  }
  return state;
}

/** Resolves true once every output satisfies `ok` (checked every 20 ms), false after timeoutMs. */
export async function waitForOutputs(gateway: GatewayView, ids: readonly string[], ok: (s: OutputState) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = outputsState(gateway, ids);
    if (ids.every((id) => state[id] !== undefined && ok(state[id]!))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, OUTPUT_WAIT_DEFAULTS.pollMs));
  }
}

export const isCutConfirmed = (s: OutputState): boolean => !s.energize && s.confirmed === true;
export const isSettled = (s: OutputState): boolean => s.confirmed === true;
