import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery, type SqliteDatabase } from 'kysely';
import { createConnectionLock, LockedSqliteDialect, type ConnectionLock } from './connection-lock.ts';
import { setPragmas } from './pragmas.ts';
import type { Database } from './schema.ts';

export interface OpenOptions {
  /** The loaded better-sqlite3 addon, when it does not come from node_modules (standalone executable). */
  nativeBinding?: unknown;
  readonly?: boolean;
}

export interface Db {
  /** Every query and transaction through it waits for `lock`. */
  kysely: Kysely<Database>;
  /** The connection's holder: kysely's queries and store/compiled-once.ts inTransaction. */
  lock: ConnectionLock;
  /**
   * kysely on the same connection without waiting for `lock`, for whoever holds it (a query
   * through `kysely` would wait for itself). Elsewhere a query through it could run inside
   * someone else's transaction.
   */
  heldKysely: Kysely<Database>;
  /** The raw handle, for pragmas, checkpoints and integrity checks. */
  sqlite: BetterSqlite3.Database;
  /**
   * Runs a compiled query at once, on the same connection as kysely, without kysely's per-query
   * promises: the pipeline's per-probe statements (store/compiled-once.ts). `query` must be one
   * that lives as long as the database (a module constant, a statement compiled once): its
   * prepared statement is kept with it. Only safe while holding `lock` (store/compiled-once.ts
   * inTransaction). Elsewhere a statement run while a kysely transaction awaits would silently
   * become part of it.
   */
  run<R>(query: CompiledQuery<R>, parameters?: readonly unknown[]): R[];
  path: string;
  close(): Promise<void>;
}

/** Opens the SQLite file with its pragmas (pragmas.ts). */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const sqlite = new BetterSqlite3(path, {
    readonly: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding as string } : {}),
  });
  setPragmas(sqlite, { wal: !options.readonly });
  const statements = withStatementCache(sqlite);
  const lock = createConnectionLock();
  const kysely = new Kysely<Database>({ dialect: new LockedSqliteDialect({ database: statements }, lock) });
  const heldKysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  // Keyed by the query object, not looked up by its SQL in the LRU cache: the cache's reordering
  // (a Map delete and set per statement, three or more per probe) left garbage at every probe.
  const prepared = new WeakMap<CompiledQuery, BetterSqlite3.Statement>();
  let closed = false;
  return {
    kysely,
    lock,
    heldKysely,
    sqlite,
    run<R>(query: CompiledQuery<R>, parameters: readonly unknown[] = query.parameters): R[] {
      let statement = prepared.get(query);
      if (statement === undefined) prepared.set(query, (statement = sqlite.prepare(query.sql)));
      if (statement.reader) return statement.all(parameters) as R[];
      statement.run(parameters);
      return [];
    },
    path,
    async close() {
      if (closed) return;
      closed = true;
      // kysely's destroy closes the better-sqlite3 handle too.
      await kysely.destroy();
    },
  };
}

/**
 * kysely's SQLite driver prepares every query afresh, and preparing cost more than running most
 * of ours (about half the time of a rollup update, measured). Statements are reused by their SQL
 * text, least recently used dropped first; one still being iterated (a stream) is never shared.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}
