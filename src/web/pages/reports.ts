import { listIncidents } from '../../store/incidents.ts';
import { formatCount, formatMs, formatRatio, formatTime } from '../format.ts';
import { html, type Html } from '../html.ts';
import { choices, emptyState, type Page } from '../layout.ts';
import { modelHref, pick, providerHref, type PageContext } from '../page-context.ts';
import { periodContaining, periodReport, PERIODS, type Period, type PeriodRange, type ReportRow } from '../report-data.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function periodTitle(range: PeriodRange): string {
  if (range.period === 'day') return isoDate(range.from);
  if (range.period === 'month') return new Date(range.from).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `week of ${isoDate(range.from)}`;
}

function reportTable(rows: readonly ReportRow[], by: 'provider' | 'model', incidents: Map<string, number>): Html {
  const href = by === 'provider' ? providerHref : modelHref;
  return html`<table>
<thead><tr><th>${by === 'provider' ? 'Provider' : 'Model'}</th><th class="num">${by === 'provider' ? 'Models' : 'Providers'}</th><th class="num">Probes</th><th class="num">Availability</th><th class="num">Error rate</th><th class="num">Rate-limited</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">TTFT p95</th>${by === 'provider' ? html`<th class="num">Incidents</th>` : ''}</tr></thead>
<tbody>${rows.map(({ slug, name, targets, metrics: m }) => html`<tr>
<td><a href="${href(slug)}">${name}</a></td>
<td class="num">${targets}</td>
<td class="num">${formatCount(m.probes)}</td>
<td class="num">${formatRatio(m.availability, 3)}</td>
<td class="num">${formatRatio(m.error_rate)}</td>
<td class="num">${formatRatio(m.rate_limited_rate)}</td>
<td class="num">${formatMs(m.latency_ms?.p50)}</td>
<td class="num">${formatMs(m.latency_ms?.p95)}</td>
<td class="num">${formatMs(m.latency_ms?.p99)}</td>
<td class="num">${formatMs(m.ttft_ms?.p95)}</td>
${by === 'provider' ? html`<td class="num">${incidents.get(slug) ?? 0}</td>` : ''}
</tr>`)}</tbody>
</table>`;
}

/** Incidents that overlap the period, counted per provider. */
async function incidentCounts(ctx: PageContext, range: PeriodRange): Promise<Map<string, number>> {
  const rows = await listIncidents(ctx.db, { since: range.from, limit: 1000 });
  const counts = new Map<string, number>();
  for (const r of rows) if (r.startedAt < range.to) counts.set(r.providerSlug, (counts.get(r.providerSlug) ?? 0) + 1);
  return counts;
}

export async function reportsPage(ctx: PageContext): Promise<Page> {
  const period: Period = pick(ctx.query, 'period', PERIODS, 'week');
  const start = ctx.query.get('start');
  const at = start !== null && DATE.test(start) && !Number.isNaN(Date.parse(start)) ? Date.parse(start) : ctx.now;
  const range = periodContaining(period, Math.min(at, ctx.now));
  const report = await periodReport(ctx.db, range, ctx.now, ctx.memo);
  const incidents = await incidentCounts(ctx, range);
  const previous = periodContaining(period, range.from - 1);
  const inProgress = range.to > ctx.now;
  const nav = html`<p><a href="/reports?period=${period}&amp;start=${isoDate(previous.from)}">&larr; previous ${period}</a>${inProgress ? '' : html` &middot; <a href="/reports?period=${period}&amp;start=${isoDate(range.to)}">next ${period} &rarr;</a>`}</p>`;

  const body = html`<div class="toolbar"><h1>Report: ${periodTitle(range)}</h1>${choices('/reports', 'period', PERIODS, period)}</div>
<p class="sub">${formatTime(range.from)} &rarr; ${formatTime(range.to)}${inProgress ? ' (in progress: counted up to now)' : ''}. Availability = successes / (successes + availability failures); percentiles over successful probes.</p>
${nav}
${report.providers.length === 0
    ? emptyState('No probes in this period', 'Reports fill in as CapPulse probes your providers.')
    : html`<h2>By provider</h2>${reportTable(report.providers, 'provider', incidents)}<h2>By model</h2>${reportTable(report.models, 'model', incidents)}`}`;
  return { title: `Report ${periodTitle(range)}`, section: 'reports', body };
}
