import { AppError } from '../../lib/errors.ts';
import { WINDOW_NAMES, windowEndingAt } from '../../stats/windows.ts';
import { findModel } from '../../store/catalog-read.ts';
import { listIncidents } from '../../store/incidents.ts';
import { modelMetrics } from '../../store/metrics.ts';
import { targetStatuses } from '../../store/status-read.ts';
import { html } from '../html.ts';
import { latencySeries } from '../latency-series.ts';
import { choices, type Page } from '../layout.ts';
import { bandsFor, maintenanceBands } from '../maintenance-bands.ts';
import { modelHref, pick, type PageContext } from '../page-context.ts';
import { scopeBody } from './scope-view.ts';

export async function modelPage(ctx: PageContext, slug: string): Promise<Page> {
  const model = await findModel(ctx.db, slug);
  if (!model) throw new AppError('not_found', `no model "${slug}"`);
  const window = pick(ctx.query, 'window', WINDOW_NAMES, '24h');
  const range = windowEndingAt(window, ctx.now);
  const scope = await modelMetrics(ctx.db, model, window, ctx.now, ctx.windows);
  const providers = scope.targets.map((t) => t.target.providerSlug);
  const body = scopeBody({
    heading: html`<div class="toolbar"><h1>${model.name}</h1>${choices(modelHref(model.slug), 'window', WINDOW_NAMES, window)}</div>`,
    sub: 'Across every provider serving it: rates are blended over all their probes, percentiles over all their successful probes.',
    removed: model.active ? null : 'No configured provider serves this model any more: its history is shown.',
    bands: bandsFor(maintenanceBands(ctx.config.maintenance, range.from, range.to), providers, model.slug),
    scope,
    latency: await latencySeries(ctx.db, scope.targets.map((t) => t.target.id), range, ctx.now, ctx.memo),
    by: 'provider',
    emptyBreakdown: 'No provider serves this model in this window.',
    statuses: await targetStatuses(ctx.db),
    incidents: await listIncidents(ctx.db, { model: model.slug, limit: 5 }),
    name: model.name,
    now: ctx.now,
  });
  return { title: model.name, charts: true, body };
}
