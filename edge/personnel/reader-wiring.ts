// Checks that the personnel readers are wired to devices that exist: a Modbus-FIFO reader names a
// device with the card-reader-fifo profile, each unit read once. The same rules serve `config
// check` (personnelReadersAreWired) and the capability, which refuses to start on any problem.
import type { CheckContext, ConfigCheck, ConfigPath } from '../config/check-context.js';
import type { LoadedConfig } from '../config/load-config.js';

export const CARD_READER_FIFO_PROFILE = 'card-reader-fifo';

export interface ReaderWiringProblem {
  path: ConfigPath;
  message: string;
}

interface WiringView {
  config: LoadedConfig['config'];
  devicesById: ReadonlyMap<string, { bus: string; unit: number; profile: string }>;
}

function wiringProblems(view: WiringView): ReaderWiringProblem[] {
  const problems: ReaderWiringProblem[] = [];
  const fifo = view.config.personnel?.readers?.fifo ?? [];
  const units = new Map<string, number>();
  fifo.forEach((f, i) => {
    const path = ['personnel', 'readers', 'fifo', i, 'device'];
    const device = view.devicesById.get(f.device);
    if (!device) {
      problems.push({ path, message: `no device "${f.device}" (a Modbus-FIFO reader is a device with profile ${CARD_READER_FIFO_PROFILE})` });
      return;
    }
    if (device.profile !== CARD_READER_FIFO_PROFILE) {
      problems.push({ path, message: `device "${f.device}" has profile "${device.profile}"; a Modbus-FIFO reader needs profile ${CARD_READER_FIFO_PROFILE}` });
      return;
    }
    const key = `${device.bus}\u0000${device.unit}`;
    const other = units.get(key);
    if (other !== undefined) problems.push({ path, message: `device "${f.device}" is unit ${device.unit} on bus "${device.bus}", already read as fifo[${other}]` });
    else units.set(key, i);
  });
  return problems;
}

/** Modbus-FIFO readers name existing devices with the card-reader-fifo profile (for `config check`). */
export const personnelReadersAreWired: ConfigCheck = (ctx: CheckContext) => {
  if (ctx.config.personnel?.readers === undefined) return;
  for (const p of wiringProblems({ config: ctx.config, devicesById: ctx.devicesById })) ctx.report(p.path, p.message);
};

/** The same rules on a loaded config (the capability refuses to start on any). */
export function readerWiringProblems(loaded: LoadedConfig): ReaderWiringProblem[] {
  return wiringProblems({ config: loaded.config, devicesById: loaded.devicesById });
}
