import { z } from 'zod';
import { findModel, listModels } from '../../store/catalog-read.ts';
import { modelMetrics } from '../../store/metrics.ts';
import type { HttpDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { listSchema } from '../pagination.ts';
import { defineApiRoute, type ApiRoute } from '../route.ts';
import { breakdown, EXAMPLE_MODEL, listQuery, modelSchema, modelViews, slugListDescription, slugPage } from './catalog-views.ts';
import { EXAMPLE_HEADLINE, EXAMPLE_METRICS, headlineSchema, metricsSchema, slugParams, windowQuery } from './metrics-schema.ts';

/** Models across the providers serving them: the list, one model, and its blended metrics. */
async function getModel(deps: HttpDeps, slug: string) {
  const model = await findModel(deps.db.kysely, slug);
  if (!model) throw notFound(`no model has slug "${slug}"`);
  return model;
}

const params = slugParams(EXAMPLE_MODEL.slug);
const { providers: _providers, ...EXAMPLE_HEAD } = EXAMPLE_MODEL;

const modelMetricsSchema = z.object({
  model: modelSchema.omit({ providers: true }),
  metrics: metricsSchema.describe('Every provider serving the model, blended: counts and digests are added up, not averaged.'),
  providers: z.array(modelSchema.shape.providers.element.extend({ metrics: headlineSchema })).describe('Per-provider breakdown over the same window.'),
});

export const modelRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'Models with the providers serving them and their current status',
    description: slugListDescription('Models'),
    tag: 'models',
    auth: 'read',
    query: listQuery(EXAMPLE_MODEL.slug),
    response: listSchema(modelSchema),
    example: { data: [EXAMPLE_MODEL], has_more: false, next_cursor: null },
    handler: ({ query, deps }) => slugPage(query, (options) => listModels(deps.db.kysely, options), (rows) => modelViews(deps.db.kysely, rows)),
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/models/:slug',
    operationId: 'getModel',
    summary: 'One model with the providers serving it and their current status',
    description: "The model's own status is the worst of its configured providers'.",
    tag: 'models',
    auth: 'read',
    params,
    response: modelSchema,
    errors: ['not_found'],
    example: EXAMPLE_MODEL,
    async handler({ params, deps }) {
      const [view] = await modelViews(deps.db.kysely, [await getModel(deps, params.slug)]);
      return view!;
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/models/:slug/metrics',
    operationId: 'getModelMetrics',
    summary: "A model's metrics across every provider serving it, with a per-provider breakdown",
    description: 'Counts and rates are exact; percentiles come from merged t-digests and are within 1% rank error of an exact sort.',
    tag: 'models',
    auth: 'read',
    params,
    query: windowQuery,
    response: modelMetricsSchema,
    errors: ['not_found'],
    example: {
      model: EXAMPLE_HEAD,
      metrics: EXAMPLE_METRICS,
      providers: EXAMPLE_MODEL.providers.map((provider) => ({ ...provider, metrics: EXAMPLE_HEADLINE })),
    },
    async handler({ params, query, deps }) {
      const model = await getModel(deps, params.slug);
      const [view] = await modelViews(deps.db.kysely, [model]);
      const { metrics, targets } = await modelMetrics(deps.db.kysely, model, query.window, deps.clock.now(), deps.windows);
      const { providers, ...head } = view!;
      return { model: head, metrics, providers: breakdown(providers, targets, (t) => t.providerSlug) };
    },
  }),
];
