// Cross-checks of the `sync:` section against the rest of a board config. `syncChecks` plugs into
// the board-config loader (edge/config/cross-checks.ts). Each rule catches something that would
// otherwise fail silently at run time: a record that can never be encoded (so it never reaches the
// platform), a platform remote cut the interlocks would refuse, a TLS half-configuration.
import type { CheckContext, ConfigCheck } from '../edge/config/check-context.js';
import { SENSOR_TYPES } from '../core/mt1201-codes.js';

const S = 'sync';
/** Characters MT/T 1201 cannot carry inside a field (formats/record-line.ts). */
const UNWRITABLE = /[;~|\r\n\uFF1B\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F]/;

/** Text that goes into every CDSS/YCBJ/TJSJ record must be writable, or those records are refused. */
export function syncTextIsWritable(ctx: CheckContext): void {
  if (!ctx.config.sync) return;
  const bad = (text: string): string | null => {
    const m = UNWRITABLE.exec(text);
    return m ? JSON.stringify(m[0]) : null;
  };
  const mine = bad(ctx.config.mine.name);
  if (mine) ctx.report(['mine', 'name'], `contains ${mine}, which MT/T 1201 files cannot carry (every upstream file would be refused)`);
  ctx.config.points.forEach((p, i) => {
    for (const key of ['location', 'unit'] as const) {
      const c = bad(p[key]);
      if (c) ctx.report(['points', i, key], `contains ${c}, which MT/T 1201 files cannot carry: this point's records would never reach the platform`);
    }
  });
}

/** The platform needs the national sensor type name (传感器类型名称) of every point it receives. */
export function syncSensorTypesAreKnown(ctx: CheckContext): void {
  if (!ctx.config.sync) return;
  ctx.config.points.forEach((p, i) => {
    if (SENSOR_TYPES[p.sensorType] === undefined) {
      ctx.report(['points', i, 'sensorType'], `sensor type "${p.sensorType}" has no MT/T 1201 name in minegate's table (core/mt1201-codes.ts); the platform would receive the bare code`);
    }
  });
}

/** TLS: a client certificate needs its key (and the other way round); TLS files mean an mqtts:// URL. */
export function syncTlsIsComplete(ctx: CheckContext): void {
  const sync = ctx.config.sync;
  if (!sync?.tls) return;
  const { certPath, keyPath } = sync.tls;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    ctx.report([S, 'tls', certPath === undefined ? 'certPath' : 'keyPath'], 'a client certificate and its key go together: give both certPath and keyPath, or neither');
  }
  if (/^(mqtt|tcp):/.test(sync.brokerUrl)) {
    ctx.report([S, 'brokerUrl'], `TLS files are configured but ${sync.brokerUrl} is a plain connection: use mqtts://`);
  }
  if (sync.username !== undefined && sync.password === undefined) ctx.report([S, 'password'], 'a username without a password');
}

/** A platform remote cut is recorded under sync.remoteCutAuthority; the interlocks must accept it. */
export function syncRemoteCutAuthorityIsAllowed(ctx: CheckContext): void {
  const sync = ctx.config.sync;
  if (!sync) return;
  const allowed = ctx.config.safety.remoteCut.authorities;
  if (allowed.length > 0 && !allowed.includes(sync.remoteCutAuthority)) {
    ctx.report([S, 'remoteCutAuthority'], `"${sync.remoteCutAuthority}" is not in safety.remoteCut.authorities (${allowed.join(', ')}): every remote cut from the platform would be refused`);
  }
}

/** Weather evacuation needs personnel positioning and names its areas. */
export function syncWeatherEvacuationAreasExist(ctx: CheckContext): void {
  const sync = ctx.config.sync;
  if (!sync?.weatherEvacuation) return;
  // Read loosely: the personnel section belongs to another capability and may grow.
  const personnel = (ctx.config as { personnel?: { areas?: { id?: unknown }[] } }).personnel;
  if (!personnel) {
    ctx.report([S, 'weatherEvacuation'], 'weather evacuation needs a personnel section (positioning runs the evacuation)');
    return;
  }
  const areas = new Set((personnel.areas ?? []).map((a) => a.id).filter((id): id is string => typeof id === 'string'));
  sync.weatherEvacuation.areas.forEach((a, i) => {
    if (!areas.has(a)) ctx.report([S, 'weatherEvacuation', 'areas', i], `no personnel area "${a}" (areas: ${[...areas].join(', ') || 'none'})`);
  });
}

/** The sync rules, for the config loader to append to its cross-checks. */
export const syncChecks: ConfigCheck[] = [syncTextIsWritable, syncSensorTypesAreKnown, syncTlsIsComplete, syncRemoteCutAuthorityIsAllowed, syncWeatherEvacuationAreasExist];
