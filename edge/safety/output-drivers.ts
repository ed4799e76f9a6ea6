// The devices the safety loop drives: Modbus relay modules and Firmata panel boards, each opened
// once and watched for "offline/online" and for the operator's buttons. A reload hands them to the
// next loop when their definition is unchanged, so a swap never reopens a serial port or drops a
// coil (the next loop's first write finds them already as commanded).
import type { BoardConfig } from '../../board-configs/boards-schema.js';
import { createFirmataIo, type IoPlugin, JohnnyFiveBoard, ReconnectingBoard } from '../../drivers/johnny-five-board.js';
import type { OutputDriver } from '../../drivers/output-driver.js';
import { RelayModuleDriver } from '../../drivers/relay-module.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { ManualUnlockCommand } from './engine-types.js';

export const OUTPUT_DRIVER_DEFAULTS = {
  boardIo: (board: BoardConfig): IoPlugin =>
    createFirmataIo(board.firmata.path, { baudRate: board.firmata.baudRate, reportVersionTimeoutMs: board.firmata.reportVersionTimeoutMs }),
} as const;

/** What the loop hears from its devices. */
export interface OutputDriverEvents {
  /** A board can take writes again: drive it now instead of at the next tick. */
  boardReady(): void;
  acknowledge(operator: string, log: Logger, what: string): void;
  unlock(cmd: ManualUnlockCommand, log: Logger, what: string): void;
}

export interface OutputDriverSetOptions {
  loaded: LoadedConfig;
  masterFor(busId: string): ModbusMaster;
  boardIo?: (board: BoardConfig) => IoPlugin;
  log: Logger;
  events: OutputDriverEvents;
  /** The running loop's set (reload): drivers with the same definition are taken over, not reopened. */
  takeOver?: OutputDriverSet;
}

interface Entry {
  driver: OutputDriver;
  /** The config that built it: a changed definition means a new driver. */
  definition: string;
  /** Removes this set's listeners (the devices stay open). */
  unwatch: (() => void)[];
  close?: () => void;
}

export class OutputDriverSet {
  readonly drivers = new Map<string, OutputDriver>();
  /**
   * Devices that have not had their first chance yet (bus still opening, board not answered): the
   * loop raises no actuation alarm for them until then (safety-loop.ts pastFirstChance).
   */
  readonly firstChancePending = new Set<string>();
  private readonly entries = new Map<string, Entry>();
  private readonly handedOver = new Set<string>();
  /** Taken over from the running loop's set (never closed by this one's abort()). */
  private readonly adopted = new Set<string>();

  constructor(private readonly opts: OutputDriverSetOptions) {
    const { config, devicesById, profiles } = opts.loaded;
    try {
      for (const board of config.boards ?? []) this.add(board.id, JSON.stringify(board), (entry) => this.openBoard(board, entry));
      for (const deviceId of new Set(config.outputs.map((o) => o.device))) {
        if (this.entries.has(deviceId)) continue;
        const device = devicesById.get(deviceId);
        if (!device) throw new TypeError(`SafetyLoop: output device "${deviceId}" is neither a device nor a board of the config`);
        const profile = profiles.get(device.profile)!;
        const definition = JSON.stringify({ device, profile });
        this.add(deviceId, definition, () => RelayModuleDriver.fromProfile(device.id, profile, opts.masterFor(device.bus), device.unit));
        this.watchRelay(deviceId, device.bus);
      }
    } catch (err) {
      // Half a set is none: the running loop (on a reload) keeps every device it had.
      this.abort();
      throw err;
    }
  }

  /**
   * For the next loop of a reload: stop listening (that loop listens now); devices it took over
   * stay open, the rest close.
   */
  release(): void {
    for (const [id, e] of this.entries) {
      for (const off of e.unwatch) off();
      if (!this.handedOver.has(id)) e.close?.();
    }
    this.entries.clear();
  }

  /** Close every device (the loop stops for good). */
  close(): void {
    this.handedOver.clear();
    this.release();
  }

  /**
   * The next loop could not be built: drop its listeners and what it opened itself; the running
   * loop keeps its devices as if nothing had been asked.
   */
  abort(): void {
    for (const [id, e] of this.entries) {
      for (const off of e.unwatch) off();
      if (!this.adopted.has(id)) e.close?.();
    }
    this.entries.clear();
    this.opts.takeOver?.handedOver.clear();
  }

  private add(id: string, definition: string, open: (entry: Entry) => OutputDriver): void {
    const previous = this.opts.takeOver?.take(id, definition);
    const entry: Entry = { driver: undefined as unknown as OutputDriver, definition, unwatch: [] };
    entry.driver = previous?.driver ?? open(entry);
    if (previous?.close) entry.close = previous.close;
    // A device taken over has had its chance already: its state is known.
    if (!previous) this.firstChancePending.add(id);
    else {
      this.adopted.add(id);
      if (previous.driver instanceof ReconnectingBoard) this.watchBoard(id, previous.driver, this.opts.loaded.config.boards!.find((b) => b.id === id)!, entry);
    }
    this.entries.set(id, entry);
    this.drivers.set(id, entry.driver);
  }

  /** Hand a driver to the next set if its definition is unchanged. */
  private take(id: string, definition: string): Entry | undefined {
    const e = this.entries.get(id);
    if (!e || e.definition !== definition) return undefined;
    this.handedOver.add(id);
    return e;
  }

  private watchRelay(deviceId: string, busId: string): void {
    const driver = this.drivers.get(deviceId) as RelayModuleDriver;
    const master = this.opts.masterFor(busId);
    const log = this.opts.log;
    const onOffline = (err: Error) => {
      if (this.firstChancePending.has(deviceId)) log.info({ device: deviceId, err: err.message }, 'output module not reachable yet (its bus is still opening)');
      else log.error({ device: deviceId, err: err.message }, 'output module unreachable: its outputs are not confirmed');
    };
    const onOnline = () => log.info({ device: deviceId }, 'output module reachable');
    // The bus is open: from the next write on, an unconfirmed command is a real fault.
    const onOpen = () => this.firstChancePending.delete(deviceId);
    driver.on('offline', onOffline);
    driver.on('online', onOnline);
    master.on('open', onOpen);
    this.entries.get(deviceId)!.unwatch.push(
      () => driver.off('offline', onOffline),
      () => driver.off('online', onOnline),
      () => master.off('open', onOpen),
    );
  }

  /** A Firmata board as an output driver; its acknowledge button and unlock keys become engine commands. */
  private openBoard(config: BoardConfig, entry: Entry): OutputDriver {
    // A fresh IO (serial port) and johnny-five board on every (re)open: an unplugged panel comes
    // back by itself once it is plugged in again. Until then its outputs report unconfirmed.
    const board = new ReconnectingBoard({
      id: config.id,
      open: () =>
        new JohnnyFiveBoard({
          id: config.id,
          io: (this.opts.boardIo ?? OUTPUT_DRIVER_DEFAULTS.boardIo)(config),
          outputs: config.outputs,
          ...(config.acknowledgeButton ? { acknowledgeButton: config.acknowledgeButton } : {}),
          unlockKeys: config.unlockKeys,
          readyTimeoutMs: config.readyTimeoutMs,
        }),
    });
    entry.close = () => board.close();
    this.watchBoard(config.id, board, config, entry);
    return board;
  }

  private watchBoard(id: string, board: ReconnectingBoard, config: BoardConfig, entry: Entry): void {
    const log = this.opts.log.child({ board: config.id });
    const { events } = this.opts;
    const onOffline = (err: Error) => {
      if (this.firstChancePending.delete(id)) log.warn({ err: err.message }, 'board not answering at start: its outputs are not confirmed; reopening');
      else log.error({ err: err.message }, 'board unreachable: its outputs are not confirmed; reopening');
    };
    const onOnline = () => {
      this.firstChancePending.delete(id);
      log.info('board ready');
      events.boardReady();
    };
    const operator = config.acknowledgeButton?.operator ?? `${config.id}.acknowledge`;
    const onAck = () => events.acknowledge(operator, log, 'acknowledge button');
    const onUnlock = (cmd: ManualUnlockCommand) => events.unlock(cmd, log, `unlock key of fan ${cmd.fan}`);
    board.on('offline', onOffline);
    board.on('online', onOnline);
    board.on('acknowledge', onAck);
    board.on('unlock', onUnlock);
    entry.unwatch.push(
      () => board.off('offline', onOffline),
      () => board.off('online', onOnline),
      () => board.off('acknowledge', onAck),
      () => board.off('unlock', onUnlock),
    );
  }
}
