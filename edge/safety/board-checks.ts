// Config checks of the `boards:` section (Firmata boards driven through johnny-five): ids and
// serial ports that cannot clash, one use per pin, unlock keys that can actually unlock, and
// board pins that fit the output kinds wired to them. Run by `config check` and at load.
import type { BoardConfig } from '../../board-configs/boards-schema.js';
import type { OutputKind } from '../../board-configs/safety-schema.js';
import type { CheckContext, ConfigCheck } from '../config/check-context.js';
import { safetySettingsOf } from './config-view.js';

/** Which board pin types may carry which output kind. */
const PIN_TYPES_FOR_KIND: Readonly<Record<OutputKind, readonly BoardConfig['outputs'][string]['type'][]>> = {
  // Power, the watchdog heartbeat and the evacuation link switch circuits: only a relay contact can.
  power: ['relay'],
  heartbeat: ['relay'],
  evacuation: ['relay'],
  // An active buzzer on a pin, or a relay switching a sounder.
  siren: ['buzzer', 'relay'],
  beacon: ['led', 'relay'],
};

/** Board ids are unique, and distinct from Modbus device ids (an output's `device` names either). */
export function boardIdsAreUnique(ctx: CheckContext): void {
  const first = new Map<string, number>();
  boardsOf(ctx).forEach((board, i) => {
    const earlier = first.get(board.id);
    if (earlier !== undefined) {
      ctx.report(['boards', i, 'id'], `duplicate board id "${board.id}" (first defined on line ${ctx.lineOf(['boards', earlier, 'id'])})`);
      return;
    }
    first.set(board.id, i);
    if (ctx.devicesById.has(board.id)) {
      const device = ctx.config.devices.findIndex((d) => d.id === board.id);
      ctx.report(['boards', i, 'id'], `"${board.id}" is already a device id (line ${ctx.lineOf(['devices', device, 'id'])}): an output's device would be ambiguous`);
    }
  });
}

/** A serial port has one owner: two boards, or a board and a Modbus bus, cannot share it. */
export function boardPortsAreUnique(ctx: CheckContext): void {
  const owners = new Map<string, string>();
  ctx.config.buses.forEach((bus, i) => {
    if (bus.type === 'rtu-serial' && !owners.has(bus.path)) owners.set(bus.path, `bus "${bus.id}" (line ${ctx.lineOf(['buses', i, 'path'])})`);
  });
  boardsOf(ctx).forEach((board, i) => {
    const owner = owners.get(board.firmata.path);
    if (owner) ctx.report(['boards', i, 'firmata', 'path'], `serial port ${board.firmata.path} is already used by ${owner}`);
    else owners.set(board.firmata.path, `board "${board.id}" (line ${ctx.lineOf(['boards', i, 'firmata', 'path'])})`);
  });
}

/** Each pin of a board has one job: an output, the acknowledge button or one unlock key. */
export function boardPinsAreUnique(ctx: CheckContext): void {
  boardsOf(ctx).forEach((board, i) => {
    const used = new Map<string, string>();
    const claim = (pin: number | string, path: (string | number)[], what: string) => {
      const key = String(pin);
      const other = used.get(key);
      if (other) ctx.report(['boards', i, ...path, 'pin'], `pin ${key} is already used by ${other}`);
      else used.set(key, what);
    };
    for (const [channel, out] of Object.entries(board.outputs)) claim(out.pin, ['outputs', channel], `output "${channel}"`);
    if (board.acknowledgeButton) claim(board.acknowledgeButton.pin, ['acknowledgeButton'], 'the acknowledge button');
    board.unlockKeys.forEach((key, j) => claim(key.pin, ['unlockKeys', j], `the unlock key of fan "${key.fan}"`));
  });
}

/** An unlock key names a configured local fan and an operator allowed to unlock it. */
export function unlockKeysCanUnlock(ctx: CheckContext): void {
  let settings;
  try {
    settings = safetySettingsOf(ctx.config);
  } catch {
    return; // The safety section itself is reported by the schema stage.
  }
  const fans = settings.localFans.map((f) => f.id);
  boardsOf(ctx).forEach((board, i) => {
    const seen = new Set<string>();
    board.unlockKeys.forEach((key, j) => {
      const path = ['boards', i, 'unlockKeys', j];
      if (!fans.includes(key.fan)) ctx.report([...path, 'fan'], `no local fan "${key.fan}" (safety.localFans: ${fans.join(', ') || 'none'})`);
      if (!settings.unlockOperators.includes(key.operator)) {
        ctx.report([...path, 'operator'], `"${key.operator}" is not in safety.unlockOperators (${settings.unlockOperators.join(', ') || 'empty'}): every turn of this key would be refused`);
      }
      if (seen.has(key.fan)) ctx.report([...path, 'fan'], `fan "${key.fan}" already has an unlock key on board "${board.id}"`);
      seen.add(key.fan);
    });
  });
}

/** A board pin can do what the output wired to it needs (a power output needs a relay contact). */
export function boardPinsFitOutputKinds(ctx: CheckContext): void {
  const boards = new Map(boardsOf(ctx).map((b) => [b.id, b]));
  ctx.config.outputs.forEach((output, i) => {
    if (ctx.devicesById.has(output.device)) return;
    const pinConfig = boards.get(output.device)?.outputs[output.channel];
    if (!pinConfig) return; // Missing board or channel: outputsDriveWritableChannels reports it.
    const allowed = PIN_TYPES_FOR_KIND[output.kind];
    if (!allowed.includes(pinConfig.type)) {
      ctx.report(['outputs', i, 'channel'], `a ${output.kind} output needs a ${allowed.join(' or ')} pin; channel "${output.channel}" of board "${output.device}" is a ${pinConfig.type}`);
    }
  });
}

/** Every board rule, for the cross-check list (edge/config/cross-checks.ts). */
export const checkSafetyBoards: ConfigCheck = (ctx: CheckContext) => {
  boardIdsAreUnique(ctx);
  boardPortsAreUnique(ctx);
  boardPinsAreUnique(ctx);
  unlockKeysCanUnlock(ctx);
  boardPinsFitOutputKinds(ctx);
};

function boardsOf(ctx: CheckContext): readonly BoardConfig[] {
  return ctx.config.boards ?? [];
}
