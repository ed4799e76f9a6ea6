import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFirmataIo, JohnnyFiveBoard, ReconnectingBoard } from '../../drivers/johnny-five-board.js';
import { TestIO } from '../../drivers/test-io.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { FirmataDevice } from '../safety/helpers/firmata-device.js';

describe('johnny-five board driver (through the test IO plugin)', () => {
  const boards: JohnnyFiveBoard[] = [];
  afterEach(() => {
    for (const b of boards.splice(0)) b.close();
  });

  async function open(io = new TestIO(), extra: Partial<ConstructorParameters<typeof JohnnyFiveBoard>[0]> = {}) {
    const board = new JohnnyFiveBoard({
      id: 'panel',
      io,
      outputs: {
        power: { pin: 7, type: 'relay' },
        inverted: { pin: 8, type: 'relay', relayType: 'NC' },
        buzzer: { pin: 4, type: 'buzzer' },
        beacon: { pin: 13, type: 'led' },
      },
      acknowledgeButton: { pin: 2 },
      unlockKeys: [{ pin: 12, holdMs: 50, fan: 'fan1', operator: 'key-switch:panel' }],
      readyTimeoutMs: 2000,
      ...extra,
    });
    boards.push(board);
    await board.ready();
    return { board, io };
  }

  it('drives a relay with close()/open() and confirms while connected', async () => {
    const { board, io } = await open();
    expect(board.online).toBe(true);
    expect(await board.set('power', true)).toBe(true);
    expect(io.level(7)).toBe(1);
    expect(board.state('power')).toBe(true);
    expect(await board.set('power', false)).toBe(true);
    expect(io.level(7)).toBe(0);
    // A normally-closed relay inverts the pin level.
    await board.set('inverted', true);
    expect(io.level(8)).toBe(0);
  });

  it('switches an active buzzer on a digital pin (no tone generation) and an LED beacon', async () => {
    const { board, io } = await open();
    const before = io.writes.length;
    await board.set('buzzer', true);
    await board.set('beacon', true);
    const writes = io.writes.slice(before);
    // One write each: no Piezo toggling from the host.
    expect(writes).toEqual([
      { pin: 4, kind: 'digital', value: 1 },
      { pin: 13, kind: 'digital', value: 1 },
    ]);
    await board.set('buzzer', false);
    expect(io.level(4)).toBe(0);
  });

  it('emits acknowledge on a button press and one unlock per turn of the key switch', async () => {
    const { board, io } = await open();
    let acks = 0;
    const unlocks: { fan: string; operator: string }[] = [];
    board.on('acknowledge', () => acks++);
    board.on('unlock', (u) => unlocks.push(u));
    // johnny-five debounces presses (7 ms) and times holds with intervals: drive both with fake time.
    vi.useFakeTimers();
    try {
      io.setInput(2, 1);
      vi.advanceTimersByTime(20);
      expect(acks).toBe(1);
      io.setInput(2, 0);
      vi.advanceTimersByTime(20);
      io.setInput(12, 1);
      vi.advanceTimersByTime(40);
      expect(unlocks).toEqual([]);
      vi.advanceTimersByTime(20);
      expect(unlocks).toEqual([{ fan: 'fan1', operator: 'key-switch:panel' }]);
      // Still held: no second unlock until the key is released and turned again.
      vi.advanceTimersByTime(500);
      expect(unlocks).toHaveLength(1);
      io.setInput(12, 0);
      vi.advanceTimersByTime(20);
      io.setInput(12, 1);
      vi.advanceTimersByTime(60);
      expect(unlocks).toHaveLength(2);
      io.setInput(12, 0);
      vi.advanceTimersByTime(20);
      expect(acks).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a disconnected board is offline: writes are not confirmed and state is unknown', async () => {
    const { board, io } = await open();
    await board.set('power', true);
    const offline: Error[] = [];
    board.on('offline', (e) => offline.push(e));
    io.disconnect();
    await waitFor(() => offline.length === 1, { what: 'offline event' });
    expect(board.online).toBe(false);
    expect(board.state('power')).toBeUndefined();
    expect(await board.set('power', false)).toBe(false);
  });

  it('times out when the IO never becomes ready', async () => {
    const board = new JohnnyFiveBoard({ id: 'dead', io: new TestIO({ autoConnect: false }), outputs: { p: { pin: 5, type: 'relay' } }, readyTimeoutMs: 50 });
    boards.push(board);
    await expect(board.ready()).rejects.toThrow(/board dead: not ready after 50 ms/);
    expect(await board.set('p', true)).toBe(false);
  });

  it('validates its options', () => {
    const io = new TestIO({ autoConnect: false });
    expect(() => new JohnnyFiveBoard({ id: 'x', io, outputs: { a: { pin: 3, type: 'relay' }, b: { pin: 3, type: 'led' } } })).toThrow(/pin 3 is already used by output "a"/);
    expect(() => new JohnnyFiveBoard({ id: 'x', io: undefined as never, outputs: { a: { pin: 3, type: 'relay' } } })).toThrow(/io must be a johnny-five IO plugin/);
    expect(() => new JohnnyFiveBoard({ id: 'x', io, outputs: { a: { pin: 3, type: 'piezo' as never } } })).toThrow(/type must be relay, buzzer or led/);
  });
});

describe('johnny-five board driver over real Firmata (firmata-io on a socat PTY)', () => {
  let pty: PtyPair | undefined;
  let device: FirmataDevice | undefined;
  let board: JohnnyFiveBoard | undefined;
  afterEach(async () => {
    board?.close();
    await device?.close();
    await pty?.dispose();
    board = undefined;
    device = undefined;
    pty = undefined;
  });

  it('the production IO (createFirmataIo) drives pins and reads the acknowledge button', async () => {
    pty = await PtyPair.create();
    device = await FirmataDevice.open(pty.slavePath);
    board = new JohnnyFiveBoard({
      id: 'panel',
      io: createFirmataIo(pty.masterPath, { reportVersionTimeoutMs: 50 }),
      outputs: { power: { pin: 7, type: 'relay' }, buzzer: { pin: 8, type: 'buzzer' }, beacon: { pin: 13, type: 'led' } },
      acknowledgeButton: { pin: 2 },
      readyTimeoutMs: 5000,
    });
    await board.ready();
    expect(await board.set('power', true)).toBe(true);
    expect(await board.set('beacon', true)).toBe(true);
    await waitFor(() => device!.level(7) === 1 && device!.level(13) === 1, { timeoutMs: 2000, what: 'relay and beacon pins high on the board' });
    expect(device.level(8)).toBe(0);
    await board.set('power', false);
    await waitFor(() => device!.level(7) === 0, { timeoutMs: 2000, what: 'relay pin low' });
    let acks = 0;
    board.on('acknowledge', () => acks++);
    device.setInput(2, 1);
    await waitFor(() => acks === 1, { timeoutMs: 2000, what: 'acknowledge from the button' });
  });

  it('a board that stops answering is found by the liveness probe (refresh) and goes offline', async () => {
    pty = await PtyPair.create();
    device = await FirmataDevice.open(pty.slavePath);
    board = new JohnnyFiveBoard({ id: 'panel', io: createFirmataIo(pty.masterPath, { reportVersionTimeoutMs: 50 }), outputs: { power: { pin: 7, type: 'relay' } }, readyTimeoutMs: 5000, livenessTimeoutMs: 300 });
    await board.ready();
    expect(await board.refresh()).toBe(true);
    const offline: Error[] = [];
    board.on('offline', (e) => offline.push(e));
    device.hang();
    await board.refresh();
    await waitFor(() => offline.length > 0, { timeoutMs: 3000, what: 'offline after the board hung' });
    expect(offline[0]!.message).toMatch(/no answer to a firmware query within 300 ms/);
    expect(await board.set('power', true)).toBe(false);
  });

  it('a serial port that does not exist is a board that never gets ready, not a crashed process', async () => {
    board = new JohnnyFiveBoard({ id: 'panel', io: createFirmataIo('/tmp/minegate-no-such-tty'), outputs: { power: { pin: 7, type: 'relay' } }, readyTimeoutMs: 5000 });
    await expect(board.ready()).rejects.toThrow(/No such file or directory/);
    expect(await board.set('power', true)).toBe(false);
  });

  it('a reconnecting board comes back by itself after an unplug and a replug', async () => {
    pty = await PtyPair.create();
    device = await FirmataDevice.open(pty.slavePath);
    const path = pty.masterPath;
    const panel = new ReconnectingBoard({
      id: 'panel',
      open: () => new JohnnyFiveBoard({ id: 'panel', io: createFirmataIo(path, { reportVersionTimeoutMs: 50 }), outputs: { power: { pin: 7, type: 'relay' } }, readyTimeoutMs: 2000 }),
      reopenMinMs: 100,
      reopenMaxMs: 400,
    });
    try {
      await panel.ready();
      const events: string[] = [];
      panel.on('offline', () => events.push('offline'));
      panel.on('online', () => events.push('online'));
      await pty.kill();
      await panel.set('power', true);
      await waitFor(() => events.includes('offline'), { timeoutMs: 5000, what: 'offline after the unplug' });
      expect(await panel.set('power', true)).toBe(false);
      await pty.recreate();
      await device.close();
      device = await FirmataDevice.open(pty.slavePath);
      await waitFor(() => panel.online, { timeoutMs: 10_000, what: 'back online after the replug' });
      expect(await panel.set('power', true)).toBe(true);
      await waitFor(() => device!.level(7) === 1, { timeoutMs: 2000, what: 'relay pin driven after the replug' });
      expect(events.at(-1)).toBe('online');
    } finally {
      panel.close();
    }
  });

  it('unplugging the board (PTY gone) makes it offline: nothing confirmed', async () => {
    pty = await PtyPair.create();
    device = await FirmataDevice.open(pty.slavePath);
    board = new JohnnyFiveBoard({ id: 'panel', io: createFirmataIo(pty.masterPath, { reportVersionTimeoutMs: 50 }), outputs: { power: { pin: 7, type: 'relay' } }, readyTimeoutMs: 5000 });
    await board.ready();
    const offline: Error[] = [];
    board.on('offline', (e) => offline.push(e));
    await pty.kill();
    // A PTY hang-up is not seen by the reader: the next write fails (EIO) and the port closes.
    await board.set('power', true);
    await waitFor(() => offline.length > 0, { timeoutMs: 5000, what: 'offline after unplug' });
    expect(await board.set('power', true)).toBe(false);
    expect(board.state('power')).toBeUndefined();
  });
});
