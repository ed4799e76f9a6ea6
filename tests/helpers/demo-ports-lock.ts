// The demo scenario's simulator listens on fixed ports (15020-15024): two test files starting
// `minegate demo` or `minegate sim` at once would fail on EADDRINUSE. Test files that do hold this
// lock (a directory in the temp dir, created atomically, with the holder's pid) around them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

const LOCK = join(tmpdir(), 'minegate-demo-ports.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryTake(): boolean {
  try {
    mkdirSync(LOCK);
  } catch {
    // Left by a test process that died: nobody holds it.
    const pid = Number(readFileSync(join(LOCK, 'pid'), { encoding: 'utf8', flag: 'r' }).trim() || 'NaN');
    if (Number.isInteger(pid) && !alive(pid)) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid));
  return true;
}

/** Wait until this process holds the demo's ports; returns the release function. */
export async function holdDemoPorts(timeoutMs = 120_000): Promise<() => void> {
  await waitFor(() => {
    try {
      return tryTake();
    } catch {
      return false; // the holder is between mkdir and writing its pid
    }
  }, { what: 'the demo ports lock (another test file runs the demo)', timeoutMs, intervalMs: 200 });
  return () => rmSync(LOCK, { recursive: true, force: true });
}
