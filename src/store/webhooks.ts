import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookEndpointsTable } from '../db/schema.ts';

/** Webhook endpoints: the ones from config (synced at start-up) and the ones made through the API. */
export type EndpointRow = Selectable<WebhookEndpointsTable>;

export interface NewEndpoint {
  id: string;
  url: string;
  events: readonly string[];
  description: string | null;
  secret: string;
}

export async function insertEndpoint(db: Kysely<Database>, endpoint: NewEndpoint, now: number): Promise<EndpointRow> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      id: endpoint.id,
      url: endpoint.url,
      events: JSON.stringify(endpoint.events),
      description: endpoint.description,
      source: 'api',
      secret: endpoint.secret,
      previous_secret: null,
      previous_secret_expires_at: null,
      enabled: 1,
      disabled_reason: null,
      failing_since: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findEndpoint(db: Kysely<Database>, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Endpoints ordered by creation, after the cursor's (created_at, id). */
export async function listEndpoints(db: Kysely<Database>, limit: number, after?: readonly [number, string]): Promise<EndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll();
  if (after) {
    const [at, id] = after;
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
  }
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}

export interface EndpointPatch {
  url?: string;
  events?: readonly string[];
  description?: string | null;
  enabled?: boolean;
}

export async function updateEndpoint(db: Kysely<Database>, id: string, patch: EndpointPatch, now: number): Promise<EndpointRow | undefined> {
  const set: Partial<WebhookEndpointsTable> = { updated_at: now };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.enabled !== undefined) {
    set.enabled = patch.enabled ? 1 : 0;
    // Re-enabling is a fresh start: the failure clock must not disable it again at once.
    set.disabled_reason = patch.enabled ? null : 'disabled through the API';
    if (patch.enabled) set.failing_since = null;
  }
  return db.updateTable('webhook_endpoints').set(set).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function rotateEndpointSecret(db: Kysely<Database>, id: string, secret: string, graceUntil: number, now: number): Promise<EndpointRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await findEndpoint(trx, id);
    if (!row || row.secret === null) return undefined;
    return trx
      .updateTable('webhook_endpoints')
      .set({ secret, previous_secret: row.secret, previous_secret_expires_at: graceUntil, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  });
}

/** Deletes the endpoint with its delivery history; the events stay (other endpoints may share them). */
export async function deleteEndpoint(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deliveries = trx.selectFrom('deliveries').select('id').where('endpoint_id', '=', id);
    await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', deliveries).execute();
    await trx.deleteFrom('deliveries').where('endpoint_id', '=', id).execute();
    const result = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export interface ConfigEndpoint {
  id: string;
  url: string;
  events: readonly string[];
  description: string | null;
}

/**
 * Makes the config endpoints match the config. One removed from the file is disabled rather
 * than deleted, so its delivery history stays readable; one disabled by its receiver (410, days
 * of failure) stays disabled across restarts instead of being hammered again.
 */
export async function syncConfigEndpoints(db: Kysely<Database>, endpoints: readonly ConfigEndpoint[], now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const endpoint of endpoints) {
      const fields = { url: endpoint.url, events: JSON.stringify(endpoint.events), description: endpoint.description, updated_at: now };
      await trx
        .insertInto('webhook_endpoints')
        .values({ ...fields, id: endpoint.id, source: 'config', secret: null, previous_secret: null, previous_secret_expires_at: null, enabled: 1, disabled_reason: null, failing_since: null, created_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet(fields))
        .execute();
      await trx
        .updateTable('webhook_endpoints')
        .set({ enabled: 1, disabled_reason: null, updated_at: now })
        .where('id', '=', endpoint.id)
        .where('disabled_reason', '=', REMOVED_FROM_CONFIG)
        .execute();
    }
    let stale = trx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: REMOVED_FROM_CONFIG, updated_at: now }).where('source', '=', 'config').where('enabled', '=', 1);
    if (endpoints.length > 0) stale = stale.where('id', 'not in', endpoints.map((e) => e.id));
    await stale.execute();
  });
}

export const REMOVED_FROM_CONFIG = 'removed from config';

/** The subscribers of an event type, read inside the event's transaction. */
export async function subscribedEndpointIds(trx: Kysely<Database>, type: string): Promise<string[]> {
  const rows = await trx.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1).orderBy('id').execute();
  return rows.filter((row) => (JSON.parse(row.events) as string[]).includes(type)).map((row) => row.id);
}

/** Any 2xx clears the failure clock. */
export async function markEndpointHealthy(trx: Kysely<Database>, id: string): Promise<void> {
  await trx.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', id).where('failing_since', 'is not', null).execute();
}

/** Starts the failure clock if it is not running; returns when the endpoint began failing. */
export async function markEndpointFailing(trx: Kysely<Database>, id: string, now: number): Promise<number> {
  await trx.updateTable('webhook_endpoints').set({ failing_since: now }).where('id', '=', id).where('failing_since', 'is', null).execute();
  const row = await trx.selectFrom('webhook_endpoints').select('failing_since').where('id', '=', id).executeTakeFirst();
  return Number(row?.failing_since ?? now);
}

export async function disableEndpoint(trx: Kysely<Database>, id: string, reason: string, now: number): Promise<void> {
  await trx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: reason, updated_at: now }).where('id', '=', id).execute();
}
