import type { Kysely, Selectable } from 'kysely';
import type { Database, DeliveriesTable, DeliveryAttemptsTable } from '../db/schema.ts';
import { prefixedId } from '../lib/ids.ts';
import { subscribedEndpointIds } from './webhooks.ts';

/**
 * The delivery side of the outbox. Fan-out runs inside the event's transaction; claiming and
 * marking are short transactions of their own around the network call, never across it.
 */
export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<DeliveryAttemptsTable>;
export type DeliveryStatus = DeliveryRow['status'];

export interface FanOutEvent {
  id: string;
  type: string;
  incidentId: string | null;
}

/**
 * One delivery per subscribed, enabled endpoint (or only `onlyEndpoint`, for a test event).
 * Unique per (event, endpoint): running it twice adds nothing.
 */
export async function fanOutEvent(trx: Kysely<Database>, event: FanOutEvent, now: number, onlyEndpoint?: string): Promise<number> {
  const endpoints = onlyEndpoint === undefined ? await subscribedEndpointIds(trx, event.type) : [onlyEndpoint];
  if (endpoints.length === 0) return 0;
  const result = await trx
    .insertInto('deliveries')
    .values(
      endpoints.map((endpointId) => ({
        id: prefixedId('dlv'),
        event_id: event.id,
        endpoint_id: endpointId,
        event_type: event.type,
        ordering_key: event.incidentId === null ? null : `incident:${event.incidentId}`,
        status: 'pending' as const,
        attempts: 0,
        round_attempts: 0,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['event_id', 'endpoint_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  url: string;
  source: 'config' | 'api';
  secret: string | null;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** The endpoint's failure clock was running when this was claimed. */
  endpointFailing: boolean;
  payload: string;
  /** Attempts ever made, this one included. */
  attempt: number;
  /** Attempts in the current round, this one included: indexes the retry schedule. */
  roundAttempt: number;
  leaseToken: string;
}

/**
 * Claims up to `limit` due deliveries with a lease. A delivery waits while an earlier one for the
 * same endpoint and incident is still pending, so a receiver sees an incident's updates in
 * order. Runs in one transaction: SQLite has one writer, so two claimers never get the same row.
 */
export async function claimDue(
  db: Kysely<Database>,
  options: {
    now: number;
    limit: number;
    leaseMs: number;
    skipEndpoints: readonly string[];
    /** Deliveries this process is still posting: their lease may look expired after a clock jump. */
    skipDeliveries?: readonly string[];
    perEndpoint: (endpointId: string) => number;
  },
): Promise<ClaimedDelivery[]> {
  const { now } = options;
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('deliveries as d')
      .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.seq', 'd.id', 'd.event_id', 'd.event_type', 'd.endpoint_id', 'd.attempts', 'd.round_attempts', 'w.url', 'w.source', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at', 'w.failing_since', 'e.payload'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_expires_at', 'is', null), eb('d.lease_expires_at', '<=', now)]))
      .where('w.enabled', '=', 1)
      .where((eb) =>
        eb.or([
          eb('d.ordering_key', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries as p')
                .select('p.seq')
                .whereRef('p.endpoint_id', '=', 'd.endpoint_id')
                .whereRef('p.ordering_key', '=', 'd.ordering_key')
                .where('p.status', '=', 'pending')
                .whereRef('p.seq', '<', 'd.seq'),
            ),
          ),
        ]),
      );
    if (options.skipEndpoints.length > 0) query = query.where('d.endpoint_id', 'not in', options.skipEndpoints);
    if (options.skipDeliveries && options.skipDeliveries.length > 0) query = query.where('d.id', 'not in', options.skipDeliveries);
    const rows = await query.orderBy('d.next_attempt_at').orderBy('d.seq').limit(options.limit).execute();

    const taken = new Map<string, number>();
    const chosen = rows.filter((row) => {
      const count = taken.get(row.endpoint_id) ?? 0;
      if (count >= options.perEndpoint(row.endpoint_id)) return false;
      taken.set(row.endpoint_id, count + 1);
      return true;
    });
    if (chosen.length === 0) return [];
    // One token for the batch: what matters is that a later claim gets a different one.
    const leaseToken = prefixedId('lease', 16);
    // Counted at claim time: a delivery whose POST crashes the process still uses up attempts.
    await trx
      .updateTable('deliveries')
      .set((eb) => ({ lease_token: leaseToken, lease_expires_at: now + options.leaseMs, attempts: eb('attempts', '+', 1), round_attempts: eb('round_attempts', '+', 1), updated_at: now }))
      .where('seq', 'in', chosen.map((row) => row.seq))
      .execute();
    const claimed: ClaimedDelivery[] = chosen.map((row) => ({
      id: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      endpointId: row.endpoint_id,
      url: row.url,
      source: row.source,
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at),
      endpointFailing: row.failing_since !== null,
      payload: row.payload,
      attempt: row.attempts + 1,
      roundAttempt: row.round_attempts + 1,
      leaseToken,
    }));
    return claimed;
  });
}

/**
 * The earliest due time among pending deliveries, or undefined. Leases and endpoint state are
 * left out so the answer comes from the (status, next_attempt_at) index alone: it only sets a
 * timer, and a look at the queue that finds nothing claimable costs one query.
 */
export async function nextDueAt(db: Kysely<Database>): Promise<number | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
}

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  responseExcerpt: string | null;
  error: string | null;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  nextAttemptAt: number | null;
  now: number;
}

export interface FinishedAttempt {
  claim: Pick<ClaimedDelivery, 'id' | 'leaseToken'>;
  record: AttemptRecord;
  outcome: AttemptOutcome;
}

/**
 * Records attempts (always: they happened) and moves their deliveries on, but only where the
 * lease token still matches: a worker whose lease expired and was taken over cannot mark.
 * Returns the ids that were marked. Batched because at hundreds of deliveries a second the
 * per-statement cost dominates: one insert for every attempt, and one update per group of
 * deliveries that end the same way (in practice: delivered, 200, same claim).
 */
export async function finishAttempts(trx: Kysely<Database>, finished: readonly FinishedAttempt[]): Promise<Set<string>> {
  if (finished.length === 0) return new Set();
  await trx
    .insertInto('delivery_attempts')
    .values(
      finished.map(({ claim, record, outcome }) => ({
        delivery_id: claim.id,
        attempt: record.attempt,
        started_at: record.startedAt,
        duration_ms: record.durationMs,
        http_status: record.httpStatus,
        response_excerpt: record.responseExcerpt,
        error: record.error,
        next_attempt_at: outcome.nextAttemptAt,
      })),
    )
    .execute();
  const groups = new Map<string, FinishedAttempt[]>();
  for (const item of finished) {
    const { claim, record, outcome } = item;
    // Only identical updates share a statement; everything else goes alone.
    const key = outcome.status === 'delivered' ? JSON.stringify([claim.leaseToken, record.httpStatus, outcome.now]) : `one:${claim.id}:${groups.size}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const applied = new Set<string>();
  for (const group of groups.values()) {
    const { claim, record, outcome } = group[0]!;
    const rows = await trx
      .updateTable('deliveries')
      .set({
        status: outcome.status,
        next_attempt_at: outcome.nextAttemptAt ?? outcome.now,
        lease_token: null,
        lease_expires_at: null,
        last_http_status: record.httpStatus,
        last_error: record.error,
        updated_at: outcome.now,
        ...(outcome.status === 'delivered' ? { delivered_at: outcome.now } : {}),
      })
      .where('id', 'in', group.map((item) => item.claim.id))
      .where('lease_token', '=', claim.leaseToken)
      .returning('id')
      .execute();
    for (const row of rows) applied.add(row.id);
  }
  return applied;
}

/** When an endpoint is disabled its queue fails at once (recoverable later), instead of waiting forever. */
export async function failPendingDeliveries(trx: Kysely<Database>, endpointId: string, reason: string, now: number): Promise<number> {
  const result = await trx
    .updateTable('deliveries')
    .set({ status: 'failed', last_error: reason, lease_token: null, lease_expires_at: null, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
