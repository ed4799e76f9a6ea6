// The log on a really full file system (a small tmpfs filled to ENOSPC) and on a pipe whose reader
// went away (EPIPE): logging loses lines, counts them, and says so once the file takes writes again;
// it never throws into the caller, never hangs a close, and never keeps a process from exiting
// (issue 11: sonic-boom's flushSync retried ENOSPC forever on exit, with the heading powered).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeLogger, createLogger, logStats, type Logger } from '../../edge/log.js';
import { LogSink } from '../../edge/log-sink.js';
import { built, repoRoot } from '../helpers/built.js';
import { Tmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait-for.js';

const fast = { retryMinMs: 50, retryMaxMs: 200, maxPendingBytes: 64 * 1024 };

function logLines(dataDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(dataDir, 'logs', 'minegate.log'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('log on a full data-dir file system (real tmpfs)', () => {
  let fs: Tmpfs;
  const loggers: Logger[] = [];
  beforeAll(() => {
    fs = Tmpfs.mount(1024 * 1024);
  });
  afterEach(async () => {
    for (const l of loggers.splice(0)) await closeLogger(l, 100);
    fs.unfill();
    rmSync(join(fs.dir, 'logs'), { recursive: true, force: true });
  });
  afterAll(() => fs?.unmount());

  it('drops and counts lines while the disk is full, never throws, and resumes with a "lines dropped" line once space returns', async () => {
    const logger = createLogger({ dataDir: fs.dir, sink: fast });
    loggers.push(logger);
    logger.info('before the disk filled');
    await waitFor(() => logStats(logger)!.written === 1, { what: 'the first line on disk' });
    fs.fill();

    const started = performance.now();
    for (let i = 0; i < 5_000; i++) logger.info({ i, pad: 'x'.repeat(100) }, 'line on a full disk');
    // fatal() used to flushSync: a loop that sleeps and retries ENOSPC forever.
    logger.fatal('fatal on a full disk');
    expect(performance.now() - started).toBeLessThan(1_000);
    await waitFor(() => logStats(logger)!.lastError === 'ENOSPC', { what: 'the write failure seen' });
    const full = logStats(logger)!;
    expect(full.dropped).toBeGreaterThan(4_000);
    expect(full.pendingBytes).toBeLessThanOrEqual(fast.maxPendingBytes);

    fs.unfill();
    logger.info('after space returned');
    await waitFor(() => logStats(logger)!.pendingBytes === 0 && logStats(logger)!.lastError === null, { timeoutMs: 5_000, what: 'the backlog written' });
    const lines = logLines(fs.dir);
    const notice = lines.find((l) => typeof l.dropped === 'number');
    expect(notice?.msg).toMatch(/log line\(s\) dropped/);
    expect(notice!.dropped).toBe(full.dropped);
    expect(lines.at(-1)!.msg).toBe('after space returned');
    // What was buffered before the buffer filled is there, in order, no torn line.
    const kept = lines.filter((l) => l.msg === 'line on a full disk').map((l) => l.i as number);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(kept.map((_, k) => k));
  });

  it('closing the log on a full disk returns within its deadline and counts what it could not write', async () => {
    const logger = createLogger({ dataDir: fs.dir, sink: fast });
    logger.info('first');
    await waitFor(() => logStats(logger)!.written === 1, { what: 'the file open' });
    fs.fill();
    for (let i = 0; i < 100; i++) logger.info({ i }, 'cannot be written');
    const started = performance.now();
    await closeLogger(logger, 300);
    expect(performance.now() - started).toBeLessThan(1_000);
    // The log file's last page may still have had room for a line or two: every line is either.
    const s = logStats(logger)!;
    expect(s.dropped).toBeGreaterThan(90);
    expect(s.written - 1 + s.dropped).toBe(100);
    logger.info('after close: not written, counted, no throw');
    expect(logStats(logger)!.dropped).toBe(s.dropped + 1);
  });

  it('a gateway-like process logging on a full disk still exits at once with its own exit code', async () => {
    fs.fill();
    const script = `
      import { createLogger } from ${JSON.stringify(built('edge/log.js'))};
      const log = createLogger({ dataDir: process.argv[1] });
      const timer = setInterval(() => { for (let i = 0; i < 200; i++) log.info({ i }, 'line on a full disk'); }, 5);
      setTimeout(() => { log.fatal('fatal on a full disk'); process.exit(3); }, 500);
    `;
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, fs.dir], { cwd: repoRoot });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const elapsed = performance.now() - started;
    expect({ code, stderr }).toEqual({ code: 3, stderr: '' });
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe('log on a pipe whose reader went away (EPIPE)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the failures, keeps the lines it can, and reopens once a reader is back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'minegate-log-fifo-'));
    const fifo = join(dir, 'log.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const openReader = (): number => openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const drain = (fd: number): string => {
      const buf = Buffer.alloc(1 << 16);
      let text = '';
      for (;;) {
        try {
          const n = readSync(fd, buf);
          if (n === 0) return text;
          text += buf.subarray(0, n).toString();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return text;
          throw err;
        }
      }
    };
    let reader = openReader();
    const sink = new LogSink(fifo, fast);
    sink.write('one\n');
    let got = '';
    await waitFor(() => (got += drain(reader)).includes('one\n'), { what: 'the first line through the pipe' });
    closeSync(reader);
    sink.write('two\n');
    await waitFor(() => sink.stats().lastError === 'EPIPE', { what: 'EPIPE seen' });
    expect(() => sink.write('three\n')).not.toThrow();

    reader = openReader();
    got = '';
    await waitFor(() => (got += drain(reader)).includes('three\n'), { timeoutMs: 5_000, what: 'lines through the reopened pipe' });
    expect(got).toBe('two\nthree\n');
    expect(sink.stats()).toMatchObject({ lastError: null, dropped: 0, written: 3 });
    expect(sink.stats().failures).toBeGreaterThanOrEqual(1);
    await sink.end(200);
    closeSync(reader);
  });
});
