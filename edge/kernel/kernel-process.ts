// Entry of the safety kernel's own process (forked by kernel-host.ts). A process and not a worker
// thread: the serialport addon crashes V8 when loaded in two threads of one process (measured:
// "Entering the V8 API without proper locking" in Poller::onData), and a process keeps protecting
// while the gateway process is stuck (a log flush retrying on a full disk) or being killed.
// A fault the kernel did not catch, or the gateway process going away, drives the fail-safe
// outputs and ends the kernel non-zero; the watchdog relay drops the coils once the heartbeat stops.
import type { PortLike } from './kernel-channel.js';
import type { KernelInit } from './protocol.js';
import { SafetyKernel } from './safety-kernel.js';

if (!process.send) throw new Error('kernel-process.ts must be forked with an IPC channel');
const send = process.send.bind(process);
let kernel: SafetyKernel | undefined;
const port: PortLike = {
  postMessage: (m) => {
    if (process.connected) send(m);
  },
  on: (_event, listener) => process.on('message', (m) => listener(m)),
};

let faulted = false;
function fault(why: string): void {
  port.postMessage({ t: 'failed', message: why });
  if (faulted || !kernel) process.exit(70);
  faulted = true;
  const bounded = setTimeout(() => process.exit(70), 1_000);
  void kernel.loop.processFault(why).finally(() => {
    clearTimeout(bounded);
    process.exit(70);
  });
}
process.on('uncaughtException', (err) => fault(`uncaught in the safety kernel: ${err.name}: ${err.message}`));
process.on('unhandledRejection', (err) => fault(`unhandled rejection in the safety kernel: ${err instanceof Error ? err.message : String(err)}`));
// The gateway process is gone (crashed, killed): no store, no operators. Fail safe and end, so the
// restarted gateway finds its buses free.
process.on('disconnect', () => fault('the gateway process went away'));
// Ctrl-C in a terminal and `systemctl stop` (KillMode=control-group) signal the whole group at once:
// the gateway process owns the kernel's lifecycle and stops it over the channel ('stop'), after its
// own parts. Ending here first would look like a crash to it. A kernel whose gateway is killed
// outright still ends: the channel closes ('disconnect' above).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => port.postMessage({ t: 'log', line: `${JSON.stringify({ level: 30, time: new Date().toISOString(), module: 'kernel', msg: `${signal} ignored: the gateway process stops the safety kernel` })}\n` }));
}

process.once('message', (init) => {
  kernel = new SafetyKernel(init as KernelInit, port);
  kernel.start().catch((err: Error) => fault(`the safety kernel failed to start: ${err.message}`));
});
