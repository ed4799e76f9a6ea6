// The local web dashboard part of a substation config (edge/dashboard/): where the gateway serves
// it. schema.ts includes it as the optional `dashboard` key; without it no page is served (the
// production default: a technician turns it on deliberately). The demo turns it on by itself.
import { z } from 'zod';

export const DASHBOARD_DEFAULTS = {
  /** Loopback only: reaching it from the substation LAN is a deliberate `host: 0.0.0.0` (or a LAN address). */
  host: '127.0.0.1',
  port: 8480,
} as const;

export const DashboardSchema = z.strictObject({
  host: z.string().min(1).default(DASHBOARD_DEFAULTS.host),
  /** 0: a free port, printed at start. */
  port: z.number().int().min(0).max(65535).default(DASHBOARD_DEFAULTS.port),
});
export type DashboardConfig = z.infer<typeof DashboardSchema>;
