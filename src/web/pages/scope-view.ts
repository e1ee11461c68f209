import type { Headline, MetricsObject } from '../../stats/metrics-object.ts';
import type { IncidentRow } from '../../store/incidents.ts';
import type { ScopeMetrics, TargetBreakdown } from '../../store/metrics.ts';
import { UNKNOWN_STATUS, type StatusView } from '../../store/status-read.ts';
import { chart, COLORS } from '../chart.ts';
import { formatCount, formatMs, formatRatio, formatTime } from '../format.ts';
import { html, type Html } from '../html.ts';
import { emptyState } from '../layout.ts';
import type { LatencySeries } from '../latency-series.ts';
import type { Band } from '../maintenance-bands.ts';
import { modelHref, providerHref } from '../page-context.ts';
import { incidentTable } from './incidents.ts';
import { statusCell } from './live.ts';

/** The parts a provider page and a model page share: headline cards, charts, breakdown table. */
function card(label: string, value: string, hint?: string): Html {
  return html`<div class="metric"><div class="k">${label}</div><div class="v">${value}</div>${hint ? html`<div class="since">${hint}</div>` : ''}</div>`;
}

export function metricCards(m: Headline): Html {
  const lat = m.latency_ms;
  const failures = m.probes - m.counts.ok;
  return html`<div class="metrics">
${card('Availability', formatRatio(m.availability, 3), `${formatCount(m.probes)} probes, ${formatCount(failures)} not ok`)}
${card('Error rate', formatRatio(m.error_rate))}
${card('Rate-limited', formatRatio(m.rate_limited_rate), `${formatCount(m.counts.rate_limited)} rate limited, ${formatCount(m.counts.quota_exceeded)} quota`)}
${card('Latency p50', formatMs(lat?.p50))}
${card('Latency p95', formatMs(lat?.p95))}
${card('Latency p99', formatMs(lat?.p99), lat ? `${formatCount(lat.samples)} samples, max ${formatMs(lat.max)}` : 'no successful probe')}
${card('TTFT p95', formatMs(m.ttft_ms?.p95))}
${card('Rate-limit headroom', formatRatio(m.rate_limit.lowest_ratio, 1), m.rate_limit.latest_at ? `last snapshot ${formatTime(Date.parse(m.rate_limit.latest_at))}` : 'no rate-limit headers seen')}
</div>`;
}

export function scopeCharts(metrics: MetricsObject, latency: LatencySeries, bands: readonly Band[]): Html {
  const points = metrics.series.points;
  const shaded = bands.map((b) => ({ start: b.start, end: b.end, label: b.label }));
  const pct = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e4);
  return html`<div class="charts">
${chart('latency', {
  title: `Latency of successful probes (${metrics.series.bucket} buckets)`,
  unit: 'ms',
  x: latency.x,
  series: [
    { label: 'p50', color: COLORS.p50, values: latency.p50 },
    { label: 'p95', color: COLORS.p95, values: latency.p95 },
    { label: 'p99', color: COLORS.p99, values: latency.p99 },
  ],
  bands: shaded,
})}
${chart('rates', {
  title: `Error and rate-limited rate (${metrics.series.bucket} buckets)`,
  unit: '%',
  x: points.map((p) => Date.parse(p.start)),
  series: [
    { label: 'errors', color: COLORS.errors, values: points.map((p) => pct(p.error_rate)) },
    { label: 'rate-limited', color: COLORS.limited, values: points.map((p) => pct(p.rate_limited_rate)) },
  ],
  bands: shaded,
})}
</div>`;
}

/** One row per target: per model on a provider page, per provider on a model page. */
export function breakdownTable(rows: readonly TargetBreakdown[], by: 'model' | 'provider', statuses: Map<number, StatusView>, now: number): Html {
  return html`<table>
<thead><tr><th>${by === 'model' ? 'Model' : 'Provider'}</th><th>Status</th><th class="num">Probes</th><th class="num">Availability</th><th class="num">Rate-limited</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">TTFT p95</th></tr></thead>
<tbody>${rows.map(({ target, metrics: m }) => html`<tr>
<td>${by === 'model'
    ? html`<a href="${modelHref(target.modelSlug)}">${target.modelName}</a>`
    : html`<a href="${providerHref(target.providerSlug)}">${target.providerName}</a>`}${target.active ? '' : html` <span class="tag">removed</span>`}</td>
<td>${statusCell(statuses.get(target.id) ?? UNKNOWN_STATUS, now)}</td>
<td class="num">${formatCount(m.probes)}</td>
<td class="num">${formatRatio(m.availability, 3)}</td>
<td class="num">${formatRatio(m.rate_limited_rate)}</td>
<td class="num">${formatMs(m.latency_ms?.p50)}</td>
<td class="num">${formatMs(m.latency_ms?.p95)}</td>
<td class="num">${formatMs(m.latency_ms?.p99)}</td>
<td class="num">${formatMs(m.ttft_ms?.p95)}</td>
</tr>`)}</tbody>
</table>`;
}

export function bandList(bands: readonly Band[]): Html {
  if (bands.length === 0) return html``;
  return html`<div class="notice">Maintenance in this window (shaded on the charts): ${bands.slice(0, 5).map(
    (b, i) => html`${i > 0 ? '; ' : ''}${formatTime(b.start)} &rarr; ${formatTime(b.end)}${b.models ? ` (${b.models.join(', ')})` : ''} &mdash; ${b.label}`,
  )}${bands.length > 5 ? ` and ${bands.length - 5} more` : ''}</div>`;
}

export interface ScopeView {
  heading: Html;
  sub: Html | string;
  /** Shown when the provider or model left the config. */
  removed: string | null;
  bands: readonly Band[];
  scope: ScopeMetrics;
  latency: LatencySeries;
  by: 'model' | 'provider';
  emptyBreakdown: string;
  statuses: Map<number, StatusView>;
  incidents: readonly IncidentRow[];
  name: string;
  now: number;
}

/** The body of a provider or model page: the same sections in the same order. */
export function scopeBody(v: ScopeView): Html {
  return html`${v.heading}
<p class="sub">${v.sub}</p>
${v.removed ? html`<div class="notice">${v.removed}</div>` : ''}
${bandList(v.bands)}
${metricCards(v.scope.metrics)}
${scopeCharts(v.scope.metrics, v.latency, v.bands)}
<h2>${v.by === 'model' ? 'Models' : 'Providers'}</h2>
${v.scope.targets.length === 0 ? emptyState(`No ${v.by}s`, v.emptyBreakdown) : breakdownTable(v.scope.targets, v.by, v.statuses, v.now)}
<h2>Recent incidents</h2>
${v.incidents.length === 0 ? html`<p class="sub">No incidents recorded for ${v.name}.</p>` : incidentTable(v.incidents, v.now)}`;
}
