// GET /healthz on the metrics server: is the safety kernel alive and cycling? Answered from the
// main process's mirror of the kernel (status().kernel), so it is cheap and never asks the kernel.
import type { GatewayStatus } from './gateway.js';

/**
 * Longest age of the kernel's last cycle that still counts as healthy, ms. A healthy kernel cycles
 * every 250 ms tick and sends its state every 200 ms, so the mirror's age stays under ~450 ms; a
 * loaded 2-core box adds GC and scheduling jitter, so 3 ticks (750 ms) would flap. 2 s is the
 * methane cut-off budget (domain.md §1.1: cut-off executes within 2 s): a kernel that has not
 * cycled for that long can no longer meet it, which is exactly what a supervisor must be told.
 */
export const HEALTH_MAX_CYCLE_AGE_MS = 2000;

export interface HealthAnswer {
  healthy: boolean;
  body: Record<string, unknown>;
}

export function kernelHealth(kernel: GatewayStatus['kernel'], maxCycleAgeMs: number = HEALTH_MAX_CYCLE_AGE_MS): HealthAnswer {
  const age = Number.isFinite(kernel.lastCycleAgeMs) ? Math.round(kernel.lastCycleAgeMs) : null;
  const figures = { kernelPid: kernel.pid, cycles: kernel.cycles, lastCycleAgeMs: age, maxCycleAgeMs };
  if (!kernel.alive) return { healthy: false, body: { status: 'unhealthy', reason: 'safety kernel not running', ...figures } };
  if (age === null || age > maxCycleAgeMs) {
    return { healthy: false, body: { status: 'unhealthy', reason: age === null ? 'safety kernel has not reported a cycle yet' : `safety kernel's last cycle was ${age} ms ago (limit ${maxCycleAgeMs} ms)`, ...figures } };
  }
  return { healthy: true, body: { status: 'ok', ...figures } };
}
