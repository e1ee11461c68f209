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

/**
 * A StoreTx over `kysely`: `db.heldKysely` while `db.lock` is held (inTransaction), or a
 * transaction of `db.kysely`, which holds the lock itself.
 */
export function storeTx(db: Db, kysely: Kysely<Database> = db.heldKysely): StoreTx {
  return { kysely, run: db.run };
}

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * Runs `work` in one transaction, holding the connection (db.lock) throughout, so no kysely
 * query can run on it in between. When the connection is free and `work` returns without a
 * promise, begin, work and commit run in one synchronous stretch and the result comes back
 * without a promise: the pipeline's every-probe path (src/db/connection-lock.ts says why).
 */
export function inTransaction<T>(db: Db, work: (tx: StoreTx) => T | Promise<T>): T | Promise<T> {
  if (db.lock.tryTake()) return holding(db, work);
  return db.lock.take().then(() => holding(db, work));
}

/** The transaction, with the lock already taken; lets go of it once the transaction is over. */
function holding<T>(db: Db, work: (tx: StoreTx) => T | Promise<T>): T | Promise<T> {
  let out: T | Promise<T>;
  try {
    db.run(BEGIN);
    out = work(storeTx(db));
  } catch (error) {
    return abort(db, error);
  }
  if (out instanceof Promise) return out.then((value) => commit(db, value), (error: unknown) => abort(db, error));
  return commit(db, out);
}

function commit<T>(db: Db, value: T): T {
  try {
    db.run(COMMIT);
  } catch (error) {
    return abort(db, error);
  }
  db.lock.release();
  return value;
}

function abort(db: Db, error: unknown): never {
  try {
    // A failed begin or commit can leave SQLite already out of the transaction.
    if (db.sqlite.inTransaction) db.run(ROLLBACK);
  } finally {
    db.lock.release();
  }
  throw error;
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
