import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.ts';
import { providerStatusOf } from '../../status/incident.ts';
import { listTargetInfos, type ModelInfo, type PageOptions, type ProviderInfo, type TargetInfo } from '../../store/catalog-read.ts';
import type { TargetBreakdown } from '../../store/metrics.ts';
import { providerStatuses, targetStatuses, UNKNOWN_STATUS, type StatusView } from '../../store/status-read.ts';
import { decodeCursor, pageQuery, toPage } from '../pagination.ts';
import { statusFields, statusView } from './metrics-schema.ts';

/** Providers and models as the API shows them: names, whether still configured, current status. */
const member = z.object({ slug: z.string(), name: z.string(), active: z.boolean().describe('Still in the config (removed ones keep their history).'), ...statusFields });

export const providerSchema = z.object({
  slug: z.string(),
  name: z.string(),
  kind: z.string(),
  active: z.boolean().describe('Still in the config (removed ones keep their history).'),
  ...statusFields,
  models: z.array(member).describe('Its models, each with its own status on this provider.'),
});

export const modelSchema = z.object({
  slug: z.string(),
  name: z.string(),
  active: z.boolean().describe('Served by at least one configured provider.'),
  ...statusFields,
  providers: z.array(member).describe('Every provider serving it, each with the status of this model there.'),
});

/** The list's query; its cursors hold the last slug shown, and the example cursor is `exampleSlug`. */
export function listQuery(exampleSlug: string) {
  return z.strictObject({
    ...pageQuery(z.string(), exampleSlug),
    include_inactive: z.stringbool({ error: 'must be true or false' }).default(false).meta({ example: 'true' }).describe('Also list entries removed from the config (they keep their history).'),
  });
}
type ListQuery = z.infer<ReturnType<typeof listQuery>>;

/** What a slug-ordered list promises its clients, for its OpenAPI description. */
export function slugListDescription(plural: string): string {
  return `Ordered by slug. ${plural} no longer in the config are left out unless \`include_inactive=true\`. The cursor is the last slug shown, so one added or removed between two pages moves none of the others onto a page twice or off the list.`;
}

/** One page of a slug-ordered list; the cursor is the last slug shown. */
export async function slugPage<T extends { slug: string }, V>(
  query: ListQuery,
  list: (options: PageOptions) => Promise<T[]>,
  views: (rows: T[]) => Promise<V[]>,
): Promise<{ data: V[]; has_more: boolean; next_cursor: string | null }> {
  const rows = await list({ after: decodeCursor(query.cursor, z.string()), limit: query.limit, includeInactive: query.include_inactive });
  const page = toPage(rows, query.limit, (row) => row.slug);
  return { ...page, data: await views(page.data) };
}

/** Each target's headline next to the member (model of a provider, provider of a model) it is. */
export function breakdown<M extends { slug: string }>(members: readonly M[], targets: readonly TargetBreakdown[], slugOf: (t: TargetInfo) => string): Array<M & { metrics: TargetBreakdown['metrics'] }> {
  return targets.map(({ target, metrics }) => ({ ...members.find((m) => m.slug === slugOf(target))!, metrics }));
}

export type ProviderView = z.infer<typeof providerSchema>;
export type ModelView = z.infer<typeof modelSchema>;

const SINCE = '2026-11-26T09:12:40.000Z';
export const EXAMPLE_MEMBER = { slug: 'gpt-4o-mini', name: 'GPT-4o mini', active: true, status: 'operational' as const, since: SINCE, maintenance: false };
export const EXAMPLE_PROVIDER: ProviderView = { slug: 'openai', name: 'OpenAI', kind: 'openai', active: true, status: 'operational', since: SINCE, maintenance: false, models: [EXAMPLE_MEMBER] };
export const EXAMPLE_MODEL: ModelView = {
  slug: 'gpt-4o-mini',
  name: 'GPT-4o mini',
  active: true,
  status: 'degraded',
  since: SINCE,
  maintenance: false,
  providers: [
    { slug: 'openai', name: 'OpenAI', active: true, status: 'operational', since: SINCE, maintenance: false },
    { slug: 'openrouter', name: 'OpenRouter', active: true, status: 'degraded', since: SINCE, maintenance: false },
  ],
};

/**
 * A model's status across its providers: the worst of its configured targets (the same order
 * a provider's status uses), since the earliest of those in that state; in maintenance only
 * when all of them are.
 */
export function modelStatus(views: readonly StatusView[]): StatusView {
  if (views.length === 0) return UNKNOWN_STATUS;
  const status = providerStatusOf(views.map((v) => ({ model: '', status: v.status, cause: null, maintenance: v.maintenance })));
  const sinces = views.filter((v) => v.status === status && v.since !== null).map((v) => v.since!);
  return { status, since: sinces.length > 0 ? Math.min(...sinces) : null, maintenance: views.every((v) => v.maintenance) };
}

function groupBy<K>(targets: readonly TargetInfo[], key: (t: TargetInfo) => K): Map<K, TargetInfo[]> {
  const out = new Map<K, TargetInfo[]>();
  for (const target of targets) out.set(key(target), [...(out.get(key(target)) ?? []), target]);
  return out;
}

export async function providerViews(db: Kysely<Database>, providers: readonly ProviderInfo[]): Promise<ProviderView[]> {
  const byProvider = groupBy(await listTargetInfos(db, { providerIds: providers.map((p) => p.id) }), (t) => t.providerId);
  const [ofProvider, ofTarget] = await Promise.all([providerStatuses(db), targetStatuses(db)]);
  return providers.map((p) => ({
    slug: p.slug,
    name: p.name,
    kind: p.kind,
    active: p.active,
    ...statusView(ofProvider.get(p.id) ?? UNKNOWN_STATUS),
    models: (byProvider.get(p.id) ?? []).map((t) => ({ slug: t.modelSlug, name: t.modelName, active: t.active, ...statusView(ofTarget.get(t.id) ?? UNKNOWN_STATUS) })),
  }));
}

export async function modelViews(db: Kysely<Database>, models: readonly ModelInfo[]): Promise<ModelView[]> {
  const byModel = groupBy(await listTargetInfos(db, { modelIds: models.map((m) => m.id) }), (t) => t.modelId);
  const ofTarget = await targetStatuses(db);
  return models.map((m) => {
    const targets = byModel.get(m.id) ?? [];
    const status = (t: TargetInfo) => ofTarget.get(t.id) ?? UNKNOWN_STATUS;
    return {
      slug: m.slug,
      name: m.name,
      active: m.active,
      ...statusView(modelStatus(targets.filter((t) => t.active).map(status))),
      providers: targets.map((t) => ({ slug: t.providerSlug, name: t.providerName, active: t.active, ...statusView(status(t)) })),
    };
  });
}
