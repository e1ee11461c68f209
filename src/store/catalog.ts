import type { Kysely } from 'kysely';
import type { ResolvedTarget } from '../config/targets.ts';
import type { Database } from '../db/schema.ts';

/** A resolved target with its database id: what the scheduler runs and the pipeline stores. */
export interface CatalogTarget extends ResolvedTarget {
  id: number;
  providerId: number;
  modelId: number;
}

/** Credentials and query strings can carry secrets; the database keeps only origin and path. */
export function safeBaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`.replace(/\/$/, '');
}

/**
 * Makes providers, models and targets match the config. Nothing is deleted: a target that left
 * the config is marked inactive so its history stays readable and it is no longer probed.
 */
export async function syncCatalog(db: Kysely<Database>, targets: readonly ResolvedTarget[], now: number): Promise<CatalogTarget[]> {
  return db.transaction().execute(async (trx) => {
    const providerIds = new Map<string, number>();
    const modelIds = new Map<string, number>();
    const out: CatalogTarget[] = [];

    for (const target of targets) {
      let providerId = providerIds.get(target.providerSlug);
      if (providerId === undefined) {
        const row = await trx
          .insertInto('providers')
          .values({ slug: target.providerSlug, name: target.providerName, kind: target.provider.kind, base_url: safeBaseUrl(target.provider.base_url), active: 1, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('slug').doUpdateSet({ name: target.providerName, kind: target.provider.kind, base_url: safeBaseUrl(target.provider.base_url), active: 1, updated_at: now }))
          .returning('id')
          .executeTakeFirstOrThrow();
        providerId = row.id;
        providerIds.set(target.providerSlug, providerId);
      }
      let modelId = modelIds.get(target.modelSlug);
      if (modelId === undefined) {
        const row = await trx
          .insertInto('models')
          .values({ slug: target.modelSlug, name: target.modelName, created_at: now })
          .onConflict((oc) => oc.column('slug').doUpdateSet({ name: target.modelName }))
          .returning('id')
          .executeTakeFirstOrThrow();
        modelId = row.id;
        modelIds.set(target.modelSlug, modelId);
      }
      const row = await trx
        .insertInto('targets')
        .values({ provider_id: providerId, model_id: modelId, provider_model_id: target.providerModelId, schedule: target.schedule, active: 1, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['provider_id', 'model_id']).doUpdateSet({ provider_model_id: target.providerModelId, schedule: target.schedule, active: 1, updated_at: now }))
        .returning('id')
        .executeTakeFirstOrThrow();
      out.push({ ...target, id: row.id, providerId, modelId });
    }

    const keep = out.map((t) => t.id);
    let stale = trx.updateTable('targets').set({ active: 0, updated_at: now }).where('active', '=', 1);
    if (keep.length > 0) stale = stale.where('id', 'not in', keep);
    await stale.execute();
    const keepProviders = [...providerIds.values()];
    let staleProviders = trx.updateTable('providers').set({ active: 0, updated_at: now }).where('active', '=', 1);
    if (keepProviders.length > 0) staleProviders = staleProviders.where('id', 'not in', keepProviders);
    await staleProviders.execute();
    return out;
  });
}

export interface TargetRow {
  id: number;
  provider_slug: string;
  model_slug: string;
  active: number;
}

export async function listTargets(db: Kysely<Database>): Promise<TargetRow[]> {
  return db
    .selectFrom('targets')
    .innerJoin('providers', 'providers.id', 'targets.provider_id')
    .innerJoin('models', 'models.id', 'targets.model_id')
    .select(['targets.id', 'providers.slug as provider_slug', 'models.slug as model_slug', 'targets.active'])
    .orderBy('targets.id')
    .execute();
}
