import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';

/**
 * A transaction as the pipeline's stages see it: kysely, bound to the transaction, for what runs
 * now and then (an incident change, the hourly baseline), and `run`, which executes a compiled
 * statement synchronously on the same connection, for the statements of every probe. kysely's
 * per-query promise machinery allocated about a third of what the whole app allocated per probe,
 * and the young-generation collections that garbage sets off are what pause the event loop the
 * probes are timed on (scripts/bench/prober.ts, BENCHMARKS.md).
 */
export interface StoreTx {
  kysely: Kysely<Database>;
  run: Db['run'];
}

/** A StoreTx over `kysely`, which must be `db`'s own instance or a transaction of it. */
export function storeTx(db: Db, kysely: Kysely<Database> = db.kysely): StoreTx {
  return { kysely, run: db.run };
}

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * Runs `work` in one transaction. kysely's connection is held throughout, so no other kysely
 * query can run on it in between; begin and commit are run at once like the statements in it
 * (kysely's own transaction sent them as two more queries through its promise machinery).
 */
export async function inTransaction<T>(db: Db, work: (tx: StoreTx) => Promise<T>): Promise<T> {
  return db.kysely.connection().execute(async (connection) => {
    db.run(BEGIN);
    try {
      const out = await work(storeTx(db, connection));
      db.run(COMMIT);
      return out;
    } catch (error) {
      // A failed commit can leave SQLite already out of the transaction.
      if (db.sqlite.inTransaction) db.run(ROLLBACK);
      throw error;
    }
  });
}

/**
 * A statement that runs on every probe, built and compiled by kysely once (with the dialect of
 * the first transaction it runs in) and afterwards only rebound and run synchronously: building
 * and compiling the query cost more than SQLite took to run the pipeline's small statements
 * (scripts/bench/prober.ts). `template` must put its parameters in the order `parameters` binds
 * them; placeholder values in it are never sent.
 */
export function compiledOnce<R>(template: (db: Kysely<Database>) => Compilable<R>): (tx: StoreTx, parameters: readonly unknown[]) => R[] {
  let compiled: CompiledQuery<R> | undefined;
  return (tx, parameters) => tx.run((compiled ??= template(tx.kysely).compile()), parameters);
}
