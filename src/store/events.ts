import type { Kysely } from 'kysely';
import type { WebhookEventType } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { prefixedId } from '../lib/ids.ts';
import { fanOutEvent } from './deliveries.ts';

export interface EventEnvelope<T = Record<string, unknown>> {
  id: string;
  type: WebhookEventType;
  created_at: string;
  data: T;
}

export interface NewEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
  incidentId?: string | null;
  providerId?: number | null;
  /** Deliver to this endpoint only, subscribed or not (the test button). */
  endpointId?: string;
}

/**
 * Writes an outbox event inside the caller's transaction, with one delivery per subscribed
 * endpoint. Only `trx` is used: the event and its deliveries commit (or roll back) together with
 * the state change they announce, so a crash can lose neither.
 */
export async function enqueueEvent(trx: Kysely<Database>, event: NewEvent, now: number, id: string = prefixedId('evt')): Promise<EventEnvelope> {
  const envelope: EventEnvelope = { id, type: event.type, created_at: new Date(now).toISOString(), data: event.data };
  await trx
    .insertInto('events')
    .values({ id, type: event.type, created_at: now, payload: JSON.stringify(envelope), incident_id: event.incidentId ?? null, provider_id: event.providerId ?? null })
    .execute();
  await fanOutEvent(trx, { id, type: event.type, incidentId: event.incidentId ?? null }, now, event.endpointId);
  return envelope;
}

export async function listEvents(db: Kysely<Database>, options: { since?: number; limit?: number } = {}): Promise<EventEnvelope[]> {
  const rows = await db
    .selectFrom('events')
    .select(['payload'])
    .where('created_at', '>=', options.since ?? 0)
    .orderBy('created_at')
    .orderBy('id')
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map((row) => JSON.parse(row.payload) as EventEnvelope);
}
