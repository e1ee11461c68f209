import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { AttemptRow, DeliveryRow, DeliveryStatus } from './deliveries.ts';

/** Reading deliveries and their attempts, and putting failed ones back in the queue. */

export interface DeliveryPage {
  status?: DeliveryStatus;
  limit: number;
  beforeSeq?: number;
}

/**
 * The query of one page of an endpoint's deliveries, newest first, before the cursor's seq. One
 * index is (endpoint_id, seq), another (endpoint_id, status, seq), so a page with or without a
 * status is a range scan of `limit` rows however long the endpoint's history
 * (test/store-query-plans.test.ts).
 */
export function deliveryPageQuery(db: Kysely<Database>, endpointId: string, page: DeliveryPage) {
  let query = db.selectFrom('deliveries').selectAll().where('endpoint_id', '=', endpointId);
  if (page.status !== undefined) query = query.where('status', '=', page.status);
  if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq);
  return query.orderBy('seq', 'desc').limit(page.limit);
}

export async function listDeliveries(db: Kysely<Database>, endpointId: string, page: DeliveryPage): Promise<DeliveryRow[]> {
  return deliveryPageQuery(db, endpointId, page).execute();
}

export async function findDelivery(db: Kysely<Database>, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAttempts(db: Kysely<Database>, deliveryId: string): Promise<AttemptRow[]> {
  return db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
}

/** Deliveries by state, of one endpoint or (without `endpointId`) of all. */
export async function countDeliveries(db: Kysely<Database>, endpointId?: string): Promise<Record<DeliveryStatus, number>> {
  let query = db.selectFrom('deliveries').select((eb) => ['status', eb.fn.countAll<number>().as('n')]);
  if (endpointId !== undefined) query = query.where('endpoint_id', '=', endpointId);
  const rows = await query.groupBy('status').execute();
  const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
  for (const row of rows) out[row.status] = Number(row.n);
  return out;
}

/**
 * Queues a delivery again with a fresh retry schedule, whatever its state. The event's bytes are
 * the stored ones, so the receiver gets the same `webhook-id` and body it may already have seen.
 */
export async function requeueDelivery(db: Kysely<Database>, id: string, now: number): Promise<DeliveryRow | undefined> {
  return db
    .updateTable('deliveries')
    .set({ status: 'pending', round_attempts: 0, next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Every failed delivery of an endpoint whose event is at or after `since`, queued again. */
export async function requeueFailedSince(db: Kysely<Database>, endpointId: string, since: number, now: number): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ status: 'pending', round_attempts: 0, next_attempt_at: now, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'failed')
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Delivered history older than the retention is removed; pending and failed rows are kept. */
export async function pruneDeliveredBefore(db: Kysely<Database>, before: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const old = trx.selectFrom('deliveries').select('id').where('status', '=', 'delivered').where('delivered_at', '<', before);
    await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', old).execute();
    const result = await trx.deleteFrom('deliveries').where('status', '=', 'delivered').where('delivered_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

export async function findDeliveryOf(db: Kysely<Database>, eventId: string, endpointId: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).where('endpoint_id', '=', endpointId).executeTakeFirst();
}
