import type { Headline } from '../../stats/metrics-object.ts';
import { activeWindows } from '../../status/maintenance.ts';
import { listIncidents } from '../../store/incidents.ts';
import { providerOverview, type ProviderOverview } from '../../store/metrics.ts';
import { targetStatuses, UNKNOWN_STATUS, type StatusView } from '../../store/status-read.ts';
import { formatAgo, formatCount, formatMs, formatRatio, statusBadge } from '../format.ts';
import { html, type Html } from '../html.ts';
import { emptyState, type Page } from '../layout.ts';
import { modelHref, providerHref, type PageContext } from '../page-context.ts';
import { sparkline } from '../sparkline.ts';
import { incidentTable } from './incidents.ts';

export const LIVE_REFRESH_SECONDS = 30;

export function statusCell(view: StatusView, now: number): Html {
  return html`${statusBadge(view.status)}${view.maintenance ? html`<span class="tag maint">maintenance</span>` : ''}<span class="since">${view.since === null ? 'not evaluated yet' : `since ${formatAgo(view.since, now)}`}</span>`;
}

export function headlineCells(m: Headline): Html {
  return html`<td class="num">${formatMs(m.latency_ms?.p95)}</td><td class="num">${formatRatio(m.error_rate)}</td><td class="num">${formatRatio(m.rate_limited_rate)}</td><td class="num">${formatCount(m.probes)}</td>`;
}

function providerRows(entry: ProviderOverview, targets: Map<number, StatusView>, maintenance: Set<string>, now: number): Html {
  const { provider, metrics } = entry;
  const points = metrics.series.points;
  const status = maintenance.has(provider.slug) ? { ...entry.status, maintenance: true } : entry.status;
  return html`<tr class="provider">
<td><a href="${providerHref(provider.slug)}"><strong>${provider.name}</strong></a> <span class="tag">${provider.kind}</span></td>
<td>${statusCell(status, now)}</td>
${headlineCells(metrics)}
<td>${sparkline(points.map((p) => p.p95_ms), { label: `p95 latency of ${provider.name}, last hour` })}</td>
<td>${sparkline(points.map((p) => (p.error_rate === null ? null : p.error_rate * 100)), { label: `error rate of ${provider.name}, last hour`, minMax: 5 })}</td>
</tr>
${entry.targets.map(
    ({ target, metrics: m }) => html`<tr class="model">
<td>&nbsp;&nbsp;&#8627; <a href="${modelHref(target.modelSlug)}">${target.modelName}</a></td>
<td>${statusCell(targets.get(target.id) ?? UNKNOWN_STATUS, now)}</td>
${headlineCells(m)}
<td></td><td></td>
</tr>`,
  )}`;
}

export async function livePage(ctx: PageContext): Promise<Page> {
  const overview = await providerOverview(ctx.db, '1h', ctx.now, ctx.windows);
  const targets = await targetStatuses(ctx.db);
  const open = await listIncidents(ctx.db, { status: 'open', limit: 20 });
  const windows = activeWindows(ctx.config.maintenance, ctx.now);
  const maintenance = new Set(windows.filter((w) => w.models === null).map((w) => w.provider));

  const body = overview.length === 0
    ? emptyState('No providers yet', html`Add providers to your config file (see <code>cappulse init</code>), or try <code>cappulse serve --demo</code>.`)
    : html`<table class="live">
<thead><tr><th>Provider / model</th><th>Status</th><th class="num">p95 latency</th><th class="num">Error rate</th><th class="num">Rate-limited</th><th class="num">Probes</th><th>p95, 1h</th><th>Errors, 1h</th></tr></thead>
<tbody>${overview.map((entry) => providerRows(entry, targets, maintenance, ctx.now))}</tbody>
</table>`;

  return {
    title: 'Live',
    section: 'live',
    refresh: LIVE_REFRESH_SECONDS,
    body: html`<h1>Live</h1>
<p class="sub">Every provider over the last hour. Latency is over successful probes; the error rate counts availability failures only; rate-limited is the share of probes answered 429 or quota exceeded.</p>
${windows.length > 0 ? html`<div class="notice">Maintenance now: ${windows.map((w, i) => html`${i > 0 ? '; ' : ''}<strong>${w.provider}</strong>${w.models ? ` (${w.models.join(', ')})` : ''}${w.reason ? ` — ${w.reason}` : ''}`)}</div>` : ''}
${open.length > 0 ? html`<h2>Open incidents</h2>${incidentTable(open, ctx.now)}<h2>Providers</h2>` : ''}
${body}`,
  };
}
