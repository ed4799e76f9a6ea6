// `minegate export`: stored readings of a time range as CSV or as MT/T 1201 CDSS files, read from
// the gateway's store (read-only; a running gateway is not disturbed). A progress bar on a
// terminal, plain progress lines otherwise, always on stderr so the CSV can go to stdout.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { exportCsv, exportMt1201, type ExportProgress, type ExportRange } from '../../sync/export.js';
import { upstreamPoints, type UpstreamPoint } from '../../sync/feeds/point-info.js';
import { formatWall, parseSince } from '../control/durations.js';
import { loadConfig } from '../config/load-config.js';
import { readingMigrations } from '../store/reading-store.js';
import { openDatabase } from '../store/database.js';
import { EXIT, fail, out } from './output.js';
import { dataDirOption } from '../locations.js';

interface ExportOptions {
  from: string;
  to?: string;
  format: string;
  out?: string;
  config?: string;
  point?: string;
  dataDir: string;
}

function progressBar(what: string): ExportProgress & { end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  const fn = ((done: number, total: number) => {
    const share = total === 0 ? 1 : done / total;
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(`\r${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`${what}: ${done}/${total} readings\n`);
    }
  }) as ExportProgress & { end(): void };
  fn.end = () => {
    if (tty) process.stderr.write('\n');
  };
  return fn;
}

function pointsFrom(config: string | undefined): { points: Map<string, UpstreamPoint>; mine: { code: string; name: string } | null } {
  if (!config) return { points: new Map(), mine: null };
  const loaded = loadConfig(config);
  return { points: upstreamPoints(loaded.config.points), mine: { code: loaded.config.mine.code, name: loaded.config.mine.name } };
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('stored readings of a time range as CSV or MT/T 1201 CDSS files')
    .requiredOption('--from <time>', 'start: a duration back from now (2h, 1d) or a date/time in mine time (2026-01-10T08:00 is 08:00+08:00, as the CSV shows it; or name the zone: 2026-01-10T00:00Z)')
    .option('--to <time>', 'end (exclusive), same forms; default now')
    .option('--format <format>', 'csv or mt1201', 'csv')
    .option('--out <path>', 'csv: the file (default stdout); mt1201: the directory for the files (required)')
    .option('-c, --config <file>', 'board config: units in the CSV; mine, type names and locations for mt1201 (required there)')
    .option('--point <code>', 'only this point')
    .addOption(dataDirOption('gateway data directory'))
    .addHelpText(
      'after',
      `\nExamples:\n  minegate export --from 1d --format csv -d /var/lib/minegate -c substation.yaml --out day.csv
  minegate export --from 2026-01-10T08:00 --to 2026-01-10T09:00 --format mt1201 -c substation.yaml --out ./cdss -d /var/lib/minegate\n
Reads <data-dir>/minegate.db read-only. Exit codes: 0 done, 1 failed, 2 bad usage.`,
    )
    .action(async (o: ExportOptions) => {
      const now = Date.now();
      let range: ExportRange;
      try {
        range = { fromMs: parseSince(o.from, now), toMs: o.to ? parseSince(o.to, now) : now, ...(o.point ? { point: o.point } : {}) };
        if (range.toMs <= range.fromMs) throw new RangeError(`--to must be after --from (${formatWall(range.fromMs)} .. ${formatWall(range.toMs)})`);
        if (o.format !== 'csv' && o.format !== 'mt1201') throw new RangeError(`--format must be csv or mt1201, got "${o.format}"`);
        if (o.format === 'mt1201' && (!o.out || !o.config)) throw new RangeError('--format mt1201 needs --out <directory> and --config <board config> (mine code, type names, locations)');
      } catch (err) {
        return fail('export', (err as Error).message, EXIT.usage);
      }
      let db;
      try {
        db = openDatabase(join(resolve(o.dataDir), 'minegate.db'), { store: readingMigrations }, { readonly: true });
      } catch (err) {
        return fail('export', `cannot open the store in ${o.dataDir}: ${(err as Error).message}`);
      }
      const progress = progressBar('exporting');
      try {
        const { points, mine } = pointsFrom(o.config);
        if (o.format === 'mt1201') {
          const r = await exportMt1201(db, range, { dir: resolve(o.out!), mineCode: mine!.code, mineName: mine!.name, points }, progress);
          progress.end();
          out(`${r.records} readings in ${r.files.length} CDSS files in ${resolve(o.out!)}${r.skipped > 0 ? `; ${r.skipped} readings of points not in the config skipped` : ''}`);
          return;
        }
        // A file is written synchronously chunk by chunk: memory stays flat however long the range.
        // 'wx': an existing file is never overwritten.
        const fd = o.out ? openSync(resolve(o.out), 'wx') : null;
        try {
          const write = fd !== null ? (chunk: string) => void writeSync(fd, chunk) : (chunk: string) => void process.stdout.write(chunk);
          const n = exportCsv(db, range, points, write, progress);
          progress.end();
          if (fd !== null) out(`${n} readings written to ${resolve(o.out!)}`);
        } finally {
          if (fd !== null) closeSync(fd);
        }
      } catch (err) {
        progress.end();
        fail('export', (err as Error).message);
      } finally {
        db.close();
      }
    });
}
