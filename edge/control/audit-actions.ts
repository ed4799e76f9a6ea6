// Which audit-log action each control command records. The audit log (edge/operators/audit.ts)
// has no 'remote-cut' or 'alarm-ack' action yet: both are recorded as 'write' (a change of what
// the relay module drives), with the command named in the record's detail.
import type { AuditAction } from '../operators/audit.js';

export const CONTROL_AUDIT_ACTIONS = {
  remoteCut: 'write',
  remoteCutRelease: 'remote-cut-release',
  fanUnlock: 'manual-unlock',
  alarmAck: 'write',
  relayTest: 'relay-test',
  calibration: 'calibration',
} as const satisfies Record<string, AuditAction>;
