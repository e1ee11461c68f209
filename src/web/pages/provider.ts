import { AppError } from '../../lib/errors.ts';
import { WINDOW_NAMES, windowEndingAt } from '../../stats/windows.ts';
import { findProvider } from '../../store/catalog-read.ts';
import { listIncidents } from '../../store/incidents.ts';
import { providerMetrics } from '../../store/metrics.ts';
import { providerStatuses, targetStatuses, UNKNOWN_STATUS } from '../../store/status-read.ts';
import { html } from '../html.ts';
import { latencySeries } from '../latency-series.ts';
import { choices, type Page } from '../layout.ts';
import { bandsFor, maintenanceBands } from '../maintenance-bands.ts';
import { pick, providerHref, type PageContext } from '../page-context.ts';
import { statusCell } from './live.ts';
import { scopeBody } from './scope-view.ts';

export async function providerPage(ctx: PageContext, slug: string): Promise<Page> {
  const provider = await findProvider(ctx.db, slug);
  if (!provider) throw new AppError('not_found', `no provider "${slug}"`);
  const window = pick(ctx.query, 'window', WINDOW_NAMES, '24h');
  const range = windowEndingAt(window, ctx.now);
  const scope = await providerMetrics(ctx.db, provider, window, ctx.now, ctx.windows);
  const status = (await providerStatuses(ctx.db)).get(provider.id) ?? UNKNOWN_STATUS;
  const body = scopeBody({
    heading: html`<div class="toolbar"><h1>${provider.name} <span class="tag">${provider.kind}</span></h1>${choices(providerHref(provider.slug), 'window', WINDOW_NAMES, window)}</div>`,
    sub: statusCell(status, ctx.now),
    removed: provider.active ? null : 'This provider was removed from the config: its history is shown, it is no longer probed.',
    bands: bandsFor(maintenanceBands(ctx.config.maintenance, range.from, range.to), [provider.slug]),
    scope,
    latency: await latencySeries(ctx.db, scope.targets.map((t) => t.target.id), range, ctx.now, ctx.memo),
    by: 'model',
    emptyBreakdown: 'This provider has no models configured.',
    statuses: await targetStatuses(ctx.db),
    incidents: await listIncidents(ctx.db, { provider: provider.slug, limit: 5 }),
    name: provider.name,
    now: ctx.now,
  });
  return { title: provider.name, charts: true, body };
}
