// Feed sensors behind relay-driven contactors: a follower device copies a channel of its leader
// (the relay module's coil) into one of its own after a delay, as the real contact does; a welded
// contactor (stuck) stays where it was. Also the log lines of what the gateway writes to a device.
import type { SimBus, SimDevice } from './sim-bus.js';
import type { ChannelValue } from './virtual-device.js';

export interface FollowerHooks {
  log(line: string): void;
  /** False once the simulator stops: a pending follow then does nothing. */
  isLive(): boolean;
}

/**
 * Logs what the gateway writes and what the device does on its own (watchdog, re-addressing,
 * baud), and moves every follower of a written channel after its delay.
 */
export function wireDevice(bus: SimBus, d: SimDevice, hooks: FollowerHooks): void {
  d.device.on('change', (c) => {
    // The heartbeat toggles every gateway tick: its watchdog logs trips and re-arms instead.
    if (c.source === 'wire' && c.channel !== d.watchdog?.heartbeat) hooks.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: ${c.channel} ${String(c.previous)} → ${String(c.value)} (written by the gateway)`);
    for (const follower of bus.devices) {
      const follows = follower.config.follows;
      if (follows && follows.channel === c.channel && leaderOf(bus, follower) === d) scheduleFollow(bus, follower, hooks.isLive);
    }
  });
  d.watchdog?.on('trip', ({ coils, silentMs }) =>
    hooks.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: watchdog tripped, heartbeat ${d.watchdog!.heartbeat} silent for ${silentMs} ms: ${coils.join(', ')} off (latched)`),
  );
  d.watchdog?.on('rearm', ({ latched }) =>
    hooks.log(`${bus.config.id} unit ${d.device.unit} ${d.config.profile}: watchdog re-armed by the heartbeat; ${latched.join(', ') || 'no coil'} stay off until written on`),
  );
  d.device.on('unit-changed', ({ from, to }) => {
    const clash = bus.devices.find((x) => x !== d && x.device.unit === to);
    if (clash) {
      // Two boards on one address: on a real line both would answer and collide. Keep the one
      // already there reachable and say so, rather than guess.
      hooks.log(`${bus.config.id}: unit ${from} (${d.config.profile}) was re-addressed to ${to}, which ${clash.config.profile} already uses — it no longer answers`);
    } else {
      hooks.log(`${bus.config.id}: unit ${from} (${d.config.profile}) now answers as unit ${to}`);
    }
    // The server indexes devices by unit when they are added: re-register under the new one.
    if (bus.server) {
      bus.server.removeDevice(from);
      if (!clash) bus.server.addDevice(d.device);
    }
  });
  d.device.on('baud-changed', ({ from, to }) => {
    hooks.log(`${bus.config.id} unit ${d.device.unit}: baud-rate param ${from} → ${to} (recorded; the simulated line stays at ${bus.info?.baudRate ?? 'its rate'})`);
  });
}

/** The leader is named by its unit at scenario start, so re-addressing it does not break the wiring. */
export function leaderOf(bus: SimBus, follower: SimDevice): SimDevice | undefined {
  const unit = follower.config.follows?.unit;
  return bus.devices.find((x) => x.config.unit === unit);
}

/** The follower moves to where its leader says after its delay, unless stuck (welded). */
export function scheduleFollow(bus: SimBus, follower: SimDevice, isLive: () => boolean): void {
  if (follower.stuck) return;
  clearTimeout(follower.followTimer);
  const delay = follower.config.follows!.delayMs;
  follower.followTimer = setTimeout(() => {
    follower.followTimer = undefined;
    if (isLive()) syncFollower(bus, follower);
  }, delay);
  follower.followTimer.unref();
}

export function syncFollower(bus: SimBus, follower: SimDevice): void {
  if (follower.stuck) return;
  const follows = follower.config.follows!;
  const leader = leaderOf(bus, follower);
  if (!leader) return;
  const on = truthy(leader.device.get(follows.channel)) !== follows.invert;
  follower.device.set(follows.into, on ? 1 : 0);
}

function truthy(value: ChannelValue): boolean {
  return typeof value === 'boolean' ? value : value !== 0;
}
