import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Requests a key has made in the month starting at `periodStart` (0 when it made none). */
export async function usageCount(db: Kysely<Database>, keyId: string, periodStart: number): Promise<number> {
  const row = await db.selectFrom('usage').select('requests').where('key_id', '=', keyId).where('period_start', '=', periodStart).executeTakeFirst();
  return row?.requests ?? 0;
}

export interface UsageIncrement {
  keyId: string;
  periodStart: number;
  requests: number;
}

/** Adds counted requests; runs inside the flush transaction. */
export async function addUsage(trx: Kysely<Database>, increments: readonly UsageIncrement[]): Promise<void> {
  for (const inc of increments) {
    await trx
      .insertInto('usage')
      .values({ key_id: inc.keyId, period_start: inc.periodStart, requests: inc.requests })
      .onConflict((oc) => oc.columns(['key_id', 'period_start']).doUpdateSet({ requests: sql<number>`usage.requests + excluded.requests` }))
      .execute();
  }
}
