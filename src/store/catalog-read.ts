import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Read side of the catalog for the API and dashboard. Inactive rows (removed from the config)
 * stay readable by slug so their history can still be looked at; lists hide them by default.
 */
export interface ProviderInfo {
  id: number;
  slug: string;
  name: string;
  kind: string;
  active: boolean;
}

export interface ModelInfo {
  id: number;
  slug: string;
  name: string;
  /** Served by at least one active target. */
  active: boolean;
}

/** A provider × model pair with the names a response shows. */
export interface TargetInfo {
  id: number;
  active: boolean;
  providerId: number;
  providerSlug: string;
  providerName: string;
  modelId: number;
  modelSlug: string;
  modelName: string;
}

export interface PageOptions {
  /** Return rows with a slug after this one (the cursor). */
  after?: string | undefined;
  /** Rows per page; all rows when omitted. */
  limit?: number;
  includeInactive: boolean;
}

const toProvider = (row: { id: number; slug: string; name: string; kind: string; active: number }): ProviderInfo => ({ ...row, active: row.active === 1 });

/** Providers by slug; fetches `limit + 1` so the caller can tell whether there is more. */
export async function listProviders(db: Kysely<Database>, page: PageOptions): Promise<ProviderInfo[]> {
  let query = db.selectFrom('providers').select(['id', 'slug', 'name', 'kind', 'active']).orderBy('slug');
  if (page.limit !== undefined) query = query.limit(page.limit + 1);
  if (page.after !== undefined) query = query.where('slug', '>', page.after);
  if (!page.includeInactive) query = query.where('active', '=', 1);
  return (await query.execute()).map(toProvider);
}

export async function findProvider(db: Kysely<Database>, slug: string): Promise<ProviderInfo | undefined> {
  const row = await db.selectFrom('providers').select(['id', 'slug', 'name', 'kind', 'active']).where('slug', '=', slug).executeTakeFirst();
  return row && toProvider(row);
}

function modelsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('models')
    .leftJoin('targets', 'targets.model_id', 'models.id')
    .select((eb) => ['models.id', 'models.slug', 'models.name', eb.fn.coalesce(eb.fn.max('targets.active'), eb.val(0)).as('active')])
    .groupBy(['models.id', 'models.slug', 'models.name']);
}

const toModel = (row: { id: number; slug: string; name: string; active: number }): ModelInfo => ({ ...row, active: Number(row.active) === 1 });

export async function listModels(db: Kysely<Database>, page: PageOptions): Promise<ModelInfo[]> {
  let query = modelsQuery(db).orderBy('models.slug');
  if (page.limit !== undefined) query = query.limit(page.limit + 1);
  if (page.after !== undefined) query = query.where('models.slug', '>', page.after);
  if (!page.includeInactive) query = query.having((eb) => eb.fn.max('targets.active'), '=', 1);
  return (await query.execute()).map(toModel);
}

export async function findModel(db: Kysely<Database>, slug: string): Promise<ModelInfo | undefined> {
  const row = await modelsQuery(db).where('models.slug', '=', slug).executeTakeFirst();
  return row && toModel(row);
}

/** Targets, optionally only those of some providers or models, ordered by provider then model slug. */
export async function listTargetInfos(db: Kysely<Database>, filter: { providerIds?: readonly number[]; modelIds?: readonly number[] } = {}): Promise<TargetInfo[]> {
  let query = db
    .selectFrom('targets')
    .innerJoin('providers', 'providers.id', 'targets.provider_id')
    .innerJoin('models', 'models.id', 'targets.model_id')
    .select([
      'targets.id',
      'targets.active',
      'providers.id as providerId',
      'providers.slug as providerSlug',
      'providers.name as providerName',
      'models.id as modelId',
      'models.slug as modelSlug',
      'models.name as modelName',
    ])
    .orderBy('providers.slug')
    .orderBy('models.slug');
  if (filter.providerIds) query = query.where('targets.provider_id', 'in', filter.providerIds.length > 0 ? [...filter.providerIds] : [-1]);
  if (filter.modelIds) query = query.where('targets.model_id', 'in', filter.modelIds.length > 0 ? [...filter.modelIds] : [-1]);
  return (await query.execute()).map((row) => ({ ...row, active: row.active === 1 }));
}
