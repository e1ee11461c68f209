import { z } from 'zod';
import { findProvider, listProviders } from '../../store/catalog-read.ts';
import { providerMetrics } from '../../store/metrics.ts';
import type { HttpDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { listSchema } from '../pagination.ts';
import { defineApiRoute, type ApiRoute } from '../route.ts';
import { breakdown, EXAMPLE_MEMBER, EXAMPLE_PROVIDER, listQuery, providerSchema, providerViews, slugListDescription, slugPage } from './catalog-views.ts';
import { EXAMPLE_HEADLINE, EXAMPLE_METRICS, headlineSchema, metricsSchema, slugParams, windowQuery } from './metrics-schema.ts';

/** Providers: the list, one provider with its models, and its metrics over a window. */
async function getProvider(deps: HttpDeps, slug: string) {
  const provider = await findProvider(deps.db.kysely, slug);
  if (!provider) throw notFound(`no provider has slug "${slug}"`);
  return provider;
}

const params = slugParams(EXAMPLE_PROVIDER.slug);
const { models: _models, ...EXAMPLE_HEAD } = EXAMPLE_PROVIDER;

const providerMetricsSchema = z.object({
  provider: providerSchema.omit({ models: true }),
  metrics: metricsSchema,
  models: z.array(providerSchema.shape.models.element.extend({ metrics: headlineSchema })).describe("Per-model breakdown over the same window (a removed model appears while it has probes in the window)."),
});

export const providerRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/v1/providers',
    operationId: 'listProviders',
    summary: 'Providers with their current status and models',
    description: slugListDescription('Providers'),
    tag: 'providers',
    auth: 'read',
    query: listQuery(EXAMPLE_PROVIDER.slug),
    response: listSchema(providerSchema),
    example: { data: [EXAMPLE_PROVIDER], has_more: false, next_cursor: null },
    handler: ({ query, deps }) =>
      slugPage(query, (options) => listProviders(deps.db.kysely, options), (rows) => providerViews(deps.db.kysely, rows)),
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/providers/:slug',
    operationId: 'getProvider',
    summary: 'One provider with its current status and models',
    tag: 'providers',
    auth: 'read',
    params,
    response: providerSchema,
    errors: ['not_found'],
    example: EXAMPLE_PROVIDER,
    async handler({ params, deps }) {
      const [view] = await providerViews(deps.db.kysely, [await getProvider(deps, params.slug)]);
      return view!;
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/providers/:slug/metrics',
    operationId: 'getProviderMetrics',
    summary: "A provider's metrics over a window ending now, with a per-model breakdown",
    description:
      'Counts and rates are exact. Percentiles come from merged t-digests of minute and hour rollups (raw rows for the partial minutes at either end) and are within 1% rank error of an exact sort.',
    tag: 'providers',
    auth: 'read',
    params,
    query: windowQuery,
    response: providerMetricsSchema,
    errors: ['not_found'],
    example: { provider: EXAMPLE_HEAD, metrics: EXAMPLE_METRICS, models: [{ ...EXAMPLE_MEMBER, metrics: EXAMPLE_HEADLINE }] },
    async handler({ params, query, deps }) {
      const provider = await getProvider(deps, params.slug);
      const [view] = await providerViews(deps.db.kysely, [provider]);
      const { metrics, targets } = await providerMetrics(deps.db.kysely, provider, query.window, deps.clock.now(), deps.windows);
      const { models, ...head } = view!;
      return { provider: head, metrics, models: breakdown(models, targets, (t) => t.modelSlug) };
    },
  }),
];
