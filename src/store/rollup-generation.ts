import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * A counter of rollup rebuilds, kept in the database header (SQLite's `user_version`, which
 * CapPulse does not otherwise use). A rebuild can rewrite a rollup row with the same probe count
 * and other contents (an outcome classified differently), which the window cache's count
 * fingerprint cannot see, and it may run in another process (`cappulse rollups rebuild` against a
 * live server's file). Reading it is one header read per request; a rebuild bumps it in each of
 * its transactions, and a cache that sees it move forgets everything it merged.
 */
export async function readRollupsGeneration(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db);
  return Number(rows[0]?.user_version ?? 0);
}

/** Call inside the transaction that rewrites rollup rows. */
export async function bumpRollupsGeneration(trx: Kysely<Database>): Promise<void> {
  // user_version is a signed 32-bit integer; PRAGMA takes no bound parameter, hence the literal.
  const next = ((await readRollupsGeneration(trx)) + 1) % 2_147_483_647;
  await sql`pragma user_version = ${sql.raw(String(next))}`.execute(trx);
}
