import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RollupTable } from './rollups.ts';

/**
 * Deletes in small batches, each its own statement (and so its own short transaction): a
 * probe's transaction waits for at most one batch, never for a whole prune.
 */
export async function pruneResultsBatch(db: Kysely<Database>, cut: number, batch: number): Promise<number> {
  const oldest = db.selectFrom('probe_results').select('id').where('started_at', '<', cut).orderBy('started_at').limit(batch);
  const result = await db.deleteFrom('probe_results').where('id', 'in', oldest).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * One target's oldest rollups below `cut`, at most about `batch` rows. Rollups are keyed by
 * (target, bucket) with no bucket-only index, so pruning walks target by target on the key.
 */
export async function pruneRollupsBatch(db: Kysely<Database>, table: RollupTable, targetId: number, cut: number, batch: number): Promise<number> {
  const edge = await db
    .selectFrom(table)
    .select('bucket')
    .where('target_id', '=', targetId)
    .where('bucket', '<', cut)
    .orderBy('bucket')
    .offset(batch - 1)
    .limit(1)
    .executeTakeFirst();
  const result = await db
    .deleteFrom(table)
    .where('target_id', '=', targetId)
    .where('bucket', edge ? '<=' : '<', edge ? Number(edge.bucket) : cut)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function allTargetIds(db: Kysely<Database>): Promise<number[]> {
  return (await db.selectFrom('targets').select('id').orderBy('id').execute()).map((row) => row.id);
}
