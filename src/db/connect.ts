import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';

export interface OpenOptions {
  /** The loaded better-sqlite3 addon, when it does not come from node_modules (standalone executable). */
  nativeBinding?: unknown;
  readonly?: boolean;
}

export interface Db {
  kysely: Kysely<Database>;
  /** The raw handle, for pragmas, checkpoints and integrity checks. */
  sqlite: BetterSqlite3.Database;
  path: string;
  close(): Promise<void>;
}

/**
 * Opens the SQLite file with its pragmas in one place. busy_timeout comes first so that even the
 * WAL switch waits for another process's lock instead of failing at once.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const sqlite = new BetterSqlite3(path, {
    readonly: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding as string } : {}),
  });
  sqlite.pragma('busy_timeout = 5000');
  if (!options.readonly) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    kysely,
    sqlite,
    path,
    async close() {
      if (closed) return;
      closed = true;
      // kysely's destroy closes the better-sqlite3 handle too.
      await kysely.destroy();
    },
  };
}
