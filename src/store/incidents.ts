import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Database, IncidentsTable, IncidentUpdatesTable } from '../db/schema.ts';

/**
 * Incidents and their timelines. Writers take `trx` (they run inside the result's transaction,
 * together with the outbox events that announce them); readers take the database.
 */
export interface IncidentRecord {
  id: string;
  providerId: number;
  status: 'open' | 'resolved';
  severity: string;
  scope: string;
  affectedModels: string[];
  title: string;
  cause: unknown;
  startedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
}

export interface IncidentRow extends IncidentRecord {
  providerSlug: string;
  providerName: string;
}

export interface IncidentUpdateRecord {
  id: number;
  incidentId: string;
  at: number;
  kind: string;
  status: 'open' | 'resolved';
  severity: string;
  affectedModels: string[];
  message: string;
  cause: unknown;
}

function toRecord(row: Selectable<IncidentsTable>): IncidentRecord {
  return {
    id: row.id,
    providerId: row.provider_id,
    status: row.status,
    severity: row.severity,
    scope: row.scope,
    affectedModels: JSON.parse(row.affected_models) as string[],
    title: row.title,
    cause: JSON.parse(row.cause),
    startedAt: Number(row.started_at),
    updatedAt: Number(row.updated_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
  };
}

function toUpdate(row: Selectable<IncidentUpdatesTable>): IncidentUpdateRecord {
  return {
    id: row.id,
    incidentId: row.incident_id,
    at: Number(row.created_at),
    kind: row.kind,
    status: row.status,
    severity: row.severity,
    affectedModels: JSON.parse(row.affected_models) as string[],
    message: row.message,
    cause: JSON.parse(row.cause),
  };
}

export async function findOpenIncident(trx: Kysely<Database>, providerId: number): Promise<IncidentRecord | undefined> {
  const row = await trx.selectFrom('incidents').selectAll().where('provider_id', '=', providerId).where('status', '=', 'open').executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Open incidents of providers removed from the config (inactive): nothing evaluates them any more. */
export async function openIncidentsOfInactiveProviders(db: Kysely<Database>): Promise<IncidentRow[]> {
  const rows = await db
    .selectFrom('incidents')
    .innerJoin('providers', 'providers.id', 'incidents.provider_id')
    .selectAll('incidents')
    .select(['providers.slug as provider_slug', 'providers.name as provider_name'])
    .where('incidents.status', '=', 'open')
    .where('providers.active', '=', 0)
    .orderBy('incidents.id')
    .execute();
  return rows.map((row) => ({ ...toRecord(row), providerSlug: row.provider_slug, providerName: row.provider_name }));
}

export async function findLastResolvedIncident(trx: Kysely<Database>, providerId: number): Promise<IncidentRecord | undefined> {
  const row = await trx
    .selectFrom('incidents')
    .selectAll()
    .where('provider_id', '=', providerId)
    .where('status', '=', 'resolved')
    .orderBy('resolved_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Inserts a new incident or writes the new state of an existing one. */
export async function saveIncident(trx: Kysely<Database>, incident: IncidentRecord, isNew: boolean): Promise<void> {
  const values = {
    status: incident.status,
    severity: incident.severity,
    scope: incident.scope,
    affected_models: JSON.stringify(incident.affectedModels),
    title: incident.title,
    cause: JSON.stringify(incident.cause),
    started_at: incident.startedAt,
    updated_at: incident.updatedAt,
    resolved_at: incident.resolvedAt,
  };
  if (isNew) await trx.insertInto('incidents').values({ id: incident.id, provider_id: incident.providerId, ...values }).execute();
  else await trx.updateTable('incidents').set(values).where('id', '=', incident.id).execute();
  if (incident.affectedModels.length > 0) {
    await trx
      .insertInto('incident_models')
      .values(incident.affectedModels.map((model_slug) => ({ incident_id: incident.id, model_slug })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function addIncidentUpdate(trx: Kysely<Database>, update: Omit<IncidentUpdateRecord, 'id'>): Promise<number> {
  const row = await trx
    .insertInto('incident_updates')
    .values({
      incident_id: update.incidentId,
      created_at: update.at,
      kind: update.kind,
      status: update.status,
      severity: update.severity,
      affected_models: JSON.stringify(update.affectedModels),
      message: update.message,
      cause: JSON.stringify(update.cause),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface IncidentFilter {
  status?: 'open' | 'resolved';
  provider?: string;
  model?: string;
  /** Incidents active at or after this instant (started, or not yet resolved, by then). */
  since?: number;
  /** Keyset: rows strictly older than this (started_at, id). */
  before?: { startedAt: number; id: string };
  limit: number;
}

/** Newest first, by (started_at, id) so pages never skip or repeat a row. */
export async function listIncidents(db: Kysely<Database>, filter: IncidentFilter): Promise<IncidentRow[]> {
  let query = db
    .selectFrom('incidents')
    .innerJoin('providers', 'providers.id', 'incidents.provider_id')
    .selectAll('incidents')
    .select(['providers.slug as provider_slug', 'providers.name as provider_name']);
  if (filter.status) query = query.where('incidents.status', '=', filter.status);
  if (filter.provider) query = query.where('providers.slug', '=', filter.provider);
  if (filter.model) {
    const model = filter.model;
    query = query.where((eb) =>
      eb.exists(eb.selectFrom('incident_models').select('incident_models.incident_id').whereRef('incident_models.incident_id', '=', 'incidents.id').where('incident_models.model_slug', '=', model)),
    );
  }
  if (filter.since !== undefined) {
    const since = filter.since;
    query = query.where((eb) => eb.or([eb('incidents.resolved_at', 'is', null), eb('incidents.resolved_at', '>=', since)]));
  }
  if (filter.before) {
    const { startedAt, id } = filter.before;
    query = query.where((eb) => eb.or([eb('incidents.started_at', '<', startedAt), eb.and([eb('incidents.started_at', '=', startedAt), eb('incidents.id', '<', id)])]));
  }
  const rows = await query.orderBy('incidents.started_at', 'desc').orderBy('incidents.id', 'desc').limit(filter.limit).execute();
  return rows.map((row) => ({ ...toRecord(row), providerSlug: row.provider_slug, providerName: row.provider_name }));
}

export async function findIncident(db: Kysely<Database>, id: string): Promise<IncidentRow | undefined> {
  const row = await db
    .selectFrom('incidents')
    .innerJoin('providers', 'providers.id', 'incidents.provider_id')
    .selectAll('incidents')
    .select(['providers.slug as provider_slug', 'providers.name as provider_name'])
    .where('incidents.id', '=', id)
    .executeTakeFirst();
  return row ? { ...toRecord(row), providerSlug: row.provider_slug, providerName: row.provider_name } : undefined;
}

/** A place in a timeline: the (at, id) of the last entry already read. */
export interface TimelinePosition {
  at: number;
  id: number;
}

function isAfter(position: TimelinePosition) {
  return (eb: ExpressionBuilder<Database, 'incident_updates'>) => eb.or([eb('created_at', '>', position.at), eb.and([eb('created_at', '=', position.at), eb('id', '>', position.id)])]);
}

/**
 * One page of a timeline, oldest first by (at, id): `at` alone can tie (entries written in the
 * same millisecond) and can step back with the clock, so the id breaks ties and keeps the order
 * total. Bounded by `limit` because a flapping incident collects thousands of entries.
 */
export async function listIncidentUpdates(db: Kysely<Database>, incidentId: string, page: TimelinePage): Promise<IncidentUpdateRecord[]> {
  return (await timelinePageQuery(db, incidentId, page).execute()).map(toUpdate);
}

export interface TimelinePage {
  after?: TimelinePosition | undefined;
  limit: number;
}

/** listIncidentUpdates' query, so its plan can be checked (test/store-query-plans.test.ts). */
export function timelinePageQuery(db: Kysely<Database>, incidentId: string, page: TimelinePage) {
  let query = db.selectFrom('incident_updates').selectAll().where('incident_id', '=', incidentId);
  if (page.after) query = query.where(isAfter(page.after));
  return query.orderBy('created_at').orderBy('id').limit(page.limit);
}

/** How many entries come after `after`, for a page that shows part of a timeline and says what it left out. */
export async function countIncidentUpdatesAfter(db: Kysely<Database>, incidentId: string, after: TimelinePosition): Promise<number> {
  const row = await db
    .selectFrom('incident_updates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_id', '=', incidentId)
    .where(isAfter(after))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
