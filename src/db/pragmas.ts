import type BetterSqlite3 from 'better-sqlite3';

/**
 * The pragmas of every connection to the file, in one place: openDatabase's, and the checkpoint
 * thread's, whose checkpoints make the fsyncs its own `synchronous` asks for. busy_timeout comes
 * first, so that even the WAL switch waits for another process's lock instead of failing at once.
 * `wal` switches the file to WAL; the checkpoint thread opens a file the app already switched.
 */
export function setPragmas(sqlite: BetterSqlite3.Database, options: { wal: boolean }): void {
  sqlite.pragma('busy_timeout = 5000');
  if (options.wal) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
}
