// Watches that a serial device path still leads to the device that was opened. A PTY whose socat
// died, or a USB adapter that was unplugged (its /dev/serial/by-id link disappears, or comes back
// pointing at a new tty), does not always wake a pending read: without this check an idle port can
// look open forever.
import { stat } from 'node:fs/promises';

export interface DeviceIdentity {
  rdev: number;
  ino: number;
}

export async function deviceIdentity(path: string): Promise<DeviceIdentity> {
  const s = await stat(path);
  return { rdev: s.rdev, ino: s.ino };
}

/**
 * Checks `path` every `intervalMs`; calls `onGone` once if it vanished or now names another device.
 * Returns a stop function. The timer is unref'd: watching alone never keeps the process alive.
 */
export function watchDevicePresence(path: string, opened: DeviceIdentity, intervalMs: number, onGone: (err: Error) => void): () => void {
  let stopped = false;
  let checking = false;
  const timer = setInterval(() => {
    if (checking || stopped) return;
    checking = true;
    stat(path).then(
      (s) => {
        checking = false;
        if (!stopped && (s.rdev !== opened.rdev || s.ino !== opened.ino)) gone(new Error(`${path} now names another device (re-enumerated)`));
      },
      (err: NodeJS.ErrnoException) => {
        checking = false;
        if (!stopped) gone(new Error(`${path} vanished (${err.code ?? err.message})`, { cause: err }));
      },
    );
  }, intervalMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const gone = (err: Error) => {
    stop();
    onGone(err);
  };
  return stop;
}
