// `status`: the live table of the running gateway — points, devices, outputs, holds, alarms,
// active remote cuts and points under calibration — as data; the CLI renders it.
import type { GatewayStatus } from '../gateway.js';
import type { ControlHandler, StatusExtra } from './context.js';

export interface ControlStatus {
  mine: { code: string; name: string };
  substation: { code: string; name: string };
  wallTime: number;
  status: GatewayStatus;
  remoteCuts: { id: string; outputs: string[]; authority: string; operator: string; reason: string; remainingMs: number }[];
  calibrating: string[];
  /** Blocks other modules added (ControlServer.addStatusSection). */
  sections: StatusExtra[];
}

export const statusHandler: ControlHandler = {
  command: 'status',
  role: 'viewer',
  handle(_args, { gateway, statusSections }): ControlStatus {
    const { config } = gateway.loaded;
    const status = gateway.status();
    const calibrating = gateway.safety.calibratingPoints();
    // A point marked by a technician is flagged as such, as the engine sees it.
    for (const p of status.points) if (p.quality === 'good' && calibrating.includes(p.code)) p.quality = 'calibrating';
    return {
      mine: { code: config.mine.code, name: config.mine.name },
      substation: { code: config.substation.code, name: config.substation.name },
      wallTime: gateway.clock.wall(),
      status,
      remoteCuts: gateway.safety.engine.activeRemoteCuts(),
      calibrating,
      // People, seals, upstream …: every capability's own block (its data is in status.capabilities), then blocks other modules added.
      sections: [...gateway.capabilitySections().map((c) => ({ title: c.title, body: c.body})), ...statusSections()],
    };
  },
};
