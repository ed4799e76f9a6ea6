// The sync commands of the control socket: `sync.status` (viewer: the upstream status as data) and
// `sync.now` (technician: take every snapshot now and write it, e.g. after a repair, instead of
// waiting for the next interval). A capability offers them through controlHandlers(); the runtime
// registers them with the control server.
import type { ControlHandler } from '../edge/control/context.js';

/** What the handlers need of the sync capability (named here so this file does not import it back). */
export interface SyncControls<Status> {
  statusJson(): Status;
  snapshotNow(): void;
}

export function syncControlHandlers<Status>(sync: SyncControls<Status>): ControlHandler[] {
  return [
    {
      command: 'sync.status',
      role: 'viewer',
      handle: (): Status => sync.statusJson(),
    },
    {
      command: 'sync.now',
      role: 'technician',
      handle: (): Status => {
        sync.snapshotNow();
        return sync.statusJson();
      },
    },
  ];
}
