import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * A statement that runs on every probe, built and compiled by kysely once (with the dialect of
 * the first database or transaction it runs on) and afterwards only rebound: building and
 * compiling the query cost more than SQLite took to run the pipeline's small statements
 * (scripts/bench/prober.ts). `template` must put its parameters in the order `parameters` binds
 * them; placeholder values in it are never sent.
 */
export function compiledOnce<R>(template: (db: Kysely<Database>) => Compilable<R>): (db: Kysely<Database>, parameters: readonly unknown[]) => Promise<QueryResult<R>> {
  let compiled: CompiledQuery<R> | undefined;
  return (db, parameters) => db.executeQuery<R>({ ...(compiled ??= template(db).compile()), parameters });
}
