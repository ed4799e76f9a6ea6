// The technician commands the control socket answers, each with the least role it needs.
import { alarmAckHandler } from './alarm-ack.js';
import { auditHandler } from './audit-handler.js';
import { calibrationHandler } from './calibration.js';
import type { ControlHandler } from './context.js';
import { eventsHandler } from './events-handler.js';
import { fanUnlockHandler } from './fan-unlock.js';
import { interlockHandlers } from './interlock-test.js';
import { outputWriteHandler } from './output-write.js';
import { personnelCommandHandlers } from './personnel-commands.js';
import { relayTestHandler } from './relay-test.js';
import { sealModeHandler } from './seal-commands.js';
import { remoteCutHandler, remoteReleaseHandler } from './remote-cut.js';
import { statusHandler } from './status-handler.js';

/** A fresh set per server (the interlock handlers keep their sessions). */
export function defaultControlHandlers(): ControlHandler[] {
  return [statusHandler, eventsHandler, remoteCutHandler, remoteReleaseHandler, fanUnlockHandler, alarmAckHandler, relayTestHandler, outputWriteHandler, calibrationHandler, auditHandler, ...personnelCommandHandlers, sealModeHandler, ...interlockHandlers()];
}
