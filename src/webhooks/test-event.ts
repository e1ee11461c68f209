import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../lib/errors.ts';
import type { DeliveryRow } from '../store/deliveries.ts';
import { findDeliveryOf } from '../store/delivery-history.ts';
import { enqueueEvent, type EventEnvelope } from '../store/events.ts';
import { findEndpoint } from '../store/webhooks.ts';

/**
 * A `webhook.test` event for one endpoint, through the same outbox as real events, so the test
 * button proves the whole path (signing, delivery, history) and not a shortcut beside it.
 */
export async function queueTestEvent(db: Kysely<Database>, endpointId: string, now: number): Promise<{ event: EventEnvelope; delivery: DeliveryRow }> {
  return db.transaction().execute(async (trx) => {
    const endpoint = await findEndpoint(trx, endpointId);
    if (!endpoint) throw new AppError('not_found', `no webhook endpoint ${endpointId}`);
    if (endpoint.enabled !== 1) throw new AppError('conflict', `webhook endpoint ${endpointId} is disabled (${endpoint.disabled_reason ?? 'no reason recorded'}); enable it first`);
    const event = await enqueueEvent(trx, { type: 'webhook.test', data: { endpoint_id: endpointId, message: 'A test event from CapPulse: if you can read this, delivery and signatures work.' }, endpointId }, now);
    const delivery = await findDeliveryOf(trx, event.id, endpointId);
    if (!delivery) throw new AppError('internal_error', 'the test delivery was not written');
    return { event, delivery };
  });
}
