// The sync commands of the control socket: `sync.status` (viewer: the upstream status as data) and
// `sync.now` (technician: take every snapshot now and write it, e.g. after a repair, instead of
// waiting for the next interval). A capability offers them through controlHandlers(); the runtime
// registers them with the control server.
import type { ControlHandler } from '../edge/control/context.js';
import type { SyncCapability, UpstreamStatusJson } from './sync-capability.js';

export function syncControlHandlers(sync: SyncCapability): ControlHandler[] {
  return [
    {
      command: 'sync.status',
      role: 'viewer',
      handle: (): UpstreamStatusJson => sync.statusJson(),
    },
    {
      command: 'sync.now',
      role: 'technician',
      handle: (): UpstreamStatusJson => {
        sync.snapshotNow();
        return sync.statusJson();
      },
    },
  ];
}
