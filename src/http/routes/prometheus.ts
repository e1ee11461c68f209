import type { H3 } from 'h3';
import { z } from 'zod';
import type { WindowName } from '../../stats/windows.ts';
import { countDeliveries } from '../../store/delivery-history.ts';
import { listIncidents } from '../../store/incidents.ts';
import { providerOverview } from '../../store/metrics.ts';
import { targetStatuses, UNKNOWN_STATUS } from '../../store/status-read.ts';
import type { WindowCache } from '../../store/window-cache.ts';
import { apiResponse } from '../api-response.ts';
import type { ApiAccess } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { createPrometheusExporter, type PrometheusExporter, type PrometheusSnapshot } from '../prometheus.ts';
import { defineApiRoute, parseOrThrow } from '../route.ts';
import { windowName } from './metrics-schema.ts';

/**
 * What the access guard checks for a scrape: a key with the `read` scope, counted against its
 * rate limit and quota like any API request (Prometheus sends it with `authorization:`). Not an
 * API route: its answer is the Prometheus text format, so it stays out of the OpenAPI document.
 */
const SCRAPE = defineApiRoute({
  method: 'GET',
  path: '/metrics',
  operationId: 'scrapeMetrics',
  summary: 'Prometheus exposition',
  tag: 'meta',
  auth: 'read',
  response: z.string(),
  handler: () => '',
});

// 1h by default, not 24h like the API: a scrape reports what is happening now.
const scrapeQuery = z.strictObject({ window: windowName.default('1h') });

/** Open incidents counted per provider; far more than any deployment has open at once. */
const OPEN_INCIDENTS_LIMIT = 10_000;

export function registerPrometheusRoutes(app: H3, deps: HttpDeps & { access: ApiAccess; windows: WindowCache }): void {
  let exporter: Promise<PrometheusExporter> | undefined;
  // One render at a time: each resets and refills the same gauges.
  let queue: Promise<unknown> = Promise.resolve();
  app.get('/metrics', async (event) => {
    await deps.access.guard(event, SCRAPE);
    const query = parseOrThrow(scrapeQuery, Object.fromEntries(new URL(event.req.url).searchParams), 'query');
    // A failed load (prom-client missing from a broken install) is retried on the next scrape.
    exporter ??= createPrometheusExporter(deps.version).catch((error: unknown) => {
      exporter = undefined;
      throw error;
    });
    const ready = await exporter;
    const text = queue.then(async () => ready.render(await readSnapshot(deps, query.window)));
    queue = text.catch(() => undefined);
    return apiResponse(event, await text, ready.contentType);
  });
}

async function readSnapshot(deps: HttpDeps & { windows: WindowCache }, window: WindowName): Promise<PrometheusSnapshot> {
  const db = deps.db.kysely;
  const overview = await providerOverview(db, window, deps.clock.now(), deps.windows);
  const statuses = await targetStatuses(db);
  const open = new Map<string, number>();
  for (const incident of await listIncidents(db, { status: 'open', limit: OPEN_INCIDENTS_LIMIT })) open.set(incident.providerSlug, (open.get(incident.providerSlug) ?? 0) + 1);
  return {
    window,
    providers: overview.map((p) => ({ slug: p.provider.slug, status: p.status, openIncidents: open.get(p.provider.slug) ?? 0 })),
    // Active targets only: one removed from the config stops being exported, as a gone target should.
    targets: overview.flatMap((p) =>
      p.targets.filter((t) => t.target.active).map((t) => ({ provider: p.provider.slug, model: t.target.modelSlug, status: statuses.get(t.target.id) ?? UNKNOWN_STATUS, metrics: t.metrics })),
    ),
    deliveries: await countDeliveries(db),
  };
}
