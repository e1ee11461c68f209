import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * rollup_spans once held merged closed hours per scope and window, written by metrics reads.
 * Reads now keep those merges in memory (store/window-cache.ts), checked against the rollup rows
 * themselves, so nothing writes the table any more; the write paths below still clear what an
 * older version left there, and a later migration may drop it.
 */

/** Drops every cached span that covers time at or after `hour` (a late result landed there). */
export function invalidateSpansQuery(trx: Kysely<Database>, hour: number) {
  return trx.deleteFrom('rollup_spans').where('span_end', '>', hour);
}

export async function clearSpans(trx: Kysely<Database>): Promise<number> {
  const result = await trx.deleteFrom('rollup_spans').executeTakeFirst();
  return Number(result.numDeletedRows);
}
