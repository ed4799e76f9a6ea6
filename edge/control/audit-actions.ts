// Which audit-log action each control command records (edge/operators/audit.ts).
import type { AuditAction } from '../operators/audit.js';

export const CONTROL_AUDIT_ACTIONS = {
  remoteCut: 'remote-cut',
  remoteCutRelease: 'remote-cut-release',
  fanUnlock: 'manual-unlock',
  alarmAck: 'alarm-ack',
  relayTest: 'relay-test',
  calibration: 'calibration',
  write: 'write',
  evacuationStart: 'evacuation-start',
  evacuationStandDown: 'evacuation-stand-down',
  evacuationAck: 'evacuation-ack',
  alarmClear: 'alarm-clear',
  sealMode: 'seal-mode',
} as const satisfies Record<string, AuditAction>;
