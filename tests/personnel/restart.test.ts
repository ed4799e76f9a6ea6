// SIGKILL mid-evacuation: a real child process (compiled code in dist/) with a real SQLite file
// is killed while people are still inside; a new process must continue the same evacuation —
// the same list, the same 叫应 deadline, the sirens on again — and finish it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvacuationView } from '../../edge/personnel/engine.js';
import type { PersonnelEvent } from '../../edge/personnel/events.js';
import { waitFor } from '../helpers/wait-for.js';
import { EXAMPLE_FILE, R, T, WALL0 } from './rig.js';

const CHILD = fileURLToPath(new URL('./fixtures/evacuation-child.mjs', import.meta.url));

interface Message {
  ready?: boolean;
  done?: number;
  wall?: number;
  evacuation?: EvacuationView | null;
  event?: PersonnelEvent;
  output?: string;
  on?: boolean;
  page?: { tag: number; reader: number | null; reason: string };
}

class Gateway {
  readonly messages: Message[] = [];
  readonly stderr: string[] = [];
  private nextId = 1;
  readonly exited: Promise<NodeJS.Signals | null>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.messages.push(JSON.parse(line) as Message));
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  }

  static async start(dbFile: string, startWall: number, mode: 'fresh' | 'resume'): Promise<Gateway> {
    const gw = new Gateway(spawn(process.execPath, [CHILD, EXAMPLE_FILE, dbFile, String(startWall), mode], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await waitFor(() => gw.messages.find((m) => m.ready), { what: `child ready (stderr: ${gw.stderr.join('')})` });
    return gw;
  }

  /** Send a command; resolves with the reply, sent after the child flushed to SQLite. */
  async send(cmd: Record<string, unknown>): Promise<Message> {
    const id = this.nextId++;
    this.child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return waitFor(() => this.messages.find((m) => m.done === id), { what: `reply to ${JSON.stringify(cmd)} (stderr: ${this.stderr.join('')})` });
  }

  events(type: PersonnelEvent['type']): PersonnelEvent[] {
    return this.messages.filter((m) => m.event?.type === type).map((m) => m.event!);
  }

  outputsOn(): string[] {
    const state = new Map<string, boolean>();
    for (const m of this.messages) if (m.output !== undefined) state.set(m.output, m.on!);
    return [...state].filter(([, on]) => on).map(([id]) => id).sort();
  }
}

describe('personnel state across SIGKILL', () => {
  let dir: string;
  const children: Gateway[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'minegate-personnel-kill-'));
  });
  afterEach(async () => {
    for (const gw of children.splice(0)) {
      if (gw.child.exitCode === null && gw.child.signalCode === null) {
        gw.child.kill('SIGKILL');
        await gw.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a restarted gateway keeps the list of people inside, the 叫应 deadline and the sirens, and finishes the evacuation', async () => {
    const dbFile = join(dir, 'minegate.db');
    const first = await Gateway.start(dbFile, WALL0, 'fresh');
    children.push(first);
    await first.send({ cmd: 'see', tag: T.li, reader: R.face });
    await first.send({ cmd: 'see', tag: T.wang, reader: R.face });
    await first.send({ cmd: 'see', tag: T.leader, reader: R.headingMouth });
    await first.send({ cmd: 'see', tag: T.electrician, reader: R.shaftBottom });
    const started = (await first.send({ cmd: 'cut' })).evacuation!;
    expect(started.inside.map((p) => p.name).sort()).toEqual(['张建国', '李明', '王强']);
    expect(first.outputsOn()).toEqual(['heading-beacon', 'heading-siren']);
    const deadline = started.areas[0]!.ackDeadlineWall;
    expect(deadline).toBe(WALL0 + 180_000);
    // 王强 gets out; one minute passes without an acknowledgement.
    await first.send({ cmd: 'advance', ms: 30_000 });
    const before = (await first.send({ cmd: 'see', tag: T.wang, reader: R.shaftBottom })).evacuation!;
    expect(before.inside.map((p) => p.name).sort()).toEqual(['张建国', '李明']);
    await first.send({ cmd: 'advance', ms: 30_000 });

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // The new process starts 60 s after the evacuation began (its monotonic clock from zero).
    const second = await Gateway.start(dbFile, WALL0 + 60_000, 'resume');
    children.push(second);
    const resumed = second.messages.find((m) => m.ready)!.evacuation!;
    expect(resumed.id).toBe(started.id);
    expect(resumed.inside).toEqual(before.inside);
    expect(resumed.evacuees.find((e) => e.name === '王强')!.exitWall).toBe(WALL0 + 30_000);
    expect(resumed.areas.map((a) => a.ackDeadlineWall)).toEqual([deadline, deadline]);
    expect(second.outputsOn()).toEqual(['heading-beacon', 'heading-siren']);
    expect(second.events('restored')).toEqual([expect.objectContaining({ inside: 2 })]);

    // The deadline stays where it was: no escalation one tick before it, escalation exactly at it
    // (a restarted wait would put it at 60 + 180 s).
    await second.send({ cmd: 'advance', ms: deadline - (WALL0 + 60_000) - 1 });
    expect(second.events('escalated')).toEqual([]);
    await second.send({ cmd: 'advance', ms: 1 });
    expect(second.events('escalated').map((e) => [e.area, e.wallTime])).toEqual([
      ['heading-face', deadline],
      ['heading-roadway', deadline],
    ]);
    expect(second.outputsOn()).toEqual(['heading-beacon', 'heading-siren', 'level-siren']);

    // The rest walk out; the leader acknowledges with a double press on the way.
    await second.send({ cmd: 'see', tag: T.leader, reader: R.headingMouth, sos: true });
    await second.send({ cmd: 'advance', ms: 3_000 });
    const acked = (await second.send({ cmd: 'see', tag: T.leader, reader: R.headingMouth, sos: true })).evacuation!;
    expect(acked.areas.map((a) => a.acknowledged?.via)).toEqual(['card', 'card']);
    expect(second.outputsOn()).toEqual(['heading-beacon', 'heading-siren']);
    await second.send({ cmd: 'advance', ms: 60_000 });
    await second.send({ cmd: 'see', tag: T.leader, reader: R.shaftBottom });
    await second.send({ cmd: 'advance', ms: 300_000 });
    const done = (await second.send({ cmd: 'see', tag: T.li, reader: R.shaftBottom })).evacuation!;
    expect(done.insideCount).toBe(0);
    expect(second.events('evacuation-complete')).toEqual([expect.objectContaining({ evacuationId: started.id, count: 3 })]);
  });
});
