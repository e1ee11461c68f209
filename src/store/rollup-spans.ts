import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Span } from '../stats/windows.ts';

/**
 * The closed-hours cache: per scope and window, the merge of the window's whole hours that
 * can no longer change. One row per (scope, window), replaced when the window moves on.
 */
export async function loadSpan(db: Kysely<Database>, scope: string, window: string, [start, end]: Span): Promise<string | undefined> {
  const row = await db
    .selectFrom('rollup_spans')
    .select('data')
    .where('scope', '=', scope)
    .where('window', '=', window)
    .where('span_start', '=', start)
    .where('span_end', '=', end)
    .executeTakeFirst();
  return row?.data;
}

export async function saveSpan(db: Kysely<Database>, scope: string, window: string, [start, end]: Span, data: string, now: number): Promise<void> {
  await db
    .insertInto('rollup_spans')
    .values({ scope, window, span_start: start, span_end: end, data, created_at: now })
    .onConflict((oc) => oc.columns(['scope', 'window']).doUpdateSet({ span_start: start, span_end: end, data, created_at: now }))
    .execute();
}

/** Drops every cached span that covers time at or after `hour` (a late result landed there). */
export function invalidateSpansQuery(trx: Kysely<Database>, hour: number) {
  return trx.deleteFrom('rollup_spans').where('span_end', '>', hour);
}

export async function clearSpans(trx: Kysely<Database>): Promise<number> {
  const result = await trx.deleteFrom('rollup_spans').executeTakeFirst();
  return Number(result.numDeletedRows);
}
