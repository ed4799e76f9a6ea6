// A really small file system for full-disk tests: a tmpfs mounted on a fresh directory (we run as
// root, CI too), filled with a filler file until the kernel says ENOSPC. Where mount is impossible
// this throws with the reason: a full-disk test must fail loudly, never skip.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Tmpfs {
  private constructor(readonly dir: string) {}

  static mount(sizeBytes: number, prefix = 'minegate-tmpfs-'): Tmpfs {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmdirSync(dir);
      const why = r.error ? r.error.message : `${r.stderr}${r.stdout}`.trim() || `exit ${r.status}`;
      throw new Error(`cannot mount a tmpfs on ${dir} (${why}): the full-disk test needs root and mount(8); run it as root (CI does)`);
    }
    return new Tmpfs(dir);
  }

  /** Bytes still free for an unprivileged-looking writer. */
  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Write <dir>/filler until the file system refuses with ENOSPC (down to single bytes); returns its size. */
  fill(name = 'filler'): number {
    const fd = openSync(join(this.dir, name), 'a');
    let size = 0;
    try {
      for (const chunk of [1 << 20, 1 << 16, 1 << 12, 1]) {
        const buf = Buffer.alloc(chunk, 0x55);
        for (;;) {
          try {
            const n = writeSync(fd, buf);
            size += n;
            if (n < chunk) break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return size;
  }

  /** Space returns: the filler goes. */
  unfill(name = 'filler'): void {
    rmSync(join(this.dir, name), { force: true });
  }

  /** Unmount (lazily if something still holds a file open) and remove the mount point. Never throws. */
  unmount(): void {
    const r = spawnSync('umount', [this.dir]);
    if (r.status !== 0) spawnSync('umount', ['-l', this.dir]);
    try {
      rmdirSync(this.dir);
    } catch {
      // Still busy: the lazy unmount finishes once its last user goes; the empty dir stays in /tmp.
    }
  }
}
