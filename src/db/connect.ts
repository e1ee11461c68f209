import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery, type SqliteDatabase } from 'kysely';
import { setPragmas } from './pragmas.ts';
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
  /**
   * Runs a compiled query at once, on the same connection and statement cache as kysely, without
   * kysely's per-query promises: the pipeline's per-probe statements (store/compiled-once.ts).
   * Only safe where no other transaction can be open on the connection: inside a callback that
   * holds kysely's connection (store/compiled-once.ts inTransaction). Elsewhere a statement run
   * while a kysely transaction awaits would silently become part of it.
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
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  let closed = false;
  return {
    kysely,
    sqlite,
    run<R>(query: CompiledQuery<R>, parameters: readonly unknown[] = query.parameters): R[] {
      const statement = statements.prepare(query.sql);
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
