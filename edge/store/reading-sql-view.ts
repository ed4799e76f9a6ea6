// `SELECT ... FROM readings` keeps working on a packed store for code that still queries the old
// table by SQL (replay-sources.ts until it moves to iterateReadings): an eponymous virtual table
// named `readings`, with the old columns, registered on every connection openDatabase makes.
// It streams the whole store through the reader API (SQLite filters and sorts afterwards), so it
// is for small windows and compatibility only; new code uses reading-reader.ts directly.
import Database from 'better-sqlite3';
import { iterateReadings } from './reading-reader.js';

export function registerReadingsTable(db: Database.Database): void {
  const file = db.name;
  db.table('readings', {
    columns: ['id', 'point', 'value', 'quality', 'wall_time', 'mono_time', 'raw'],
    *rows() {
      // A virtual table may not run statements on its own connection while SQLite is inside it.
      const reader = new Database(file, { readonly: true, fileMustExist: true });
      try {
        let id = 0;
        for (const r of iterateReadings(reader)) yield [++id, r.point, r.value, r.quality, r.wallTime, r.monoTime, JSON.stringify(r.raw)];
      } finally {
        reader.close();
      }
    },
  });
}
