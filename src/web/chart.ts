import { html, jsonScript, type Html } from './html.ts';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

export interface ChartSpec {
  title: string;
  unit: 'ms' | '%';
  /** Bucket starts, epoch ms. */
  x: number[];
  series: ChartSeries[];
  /** Shaded spans (maintenance windows), epoch ms. */
  bands?: { start: number; end: number; label: string }[];
}

export const COLORS = { p50: '#12b76a', p95: '#2f5bea', p99: '#7a5af8', errors: '#d92d20', limited: '#f79009' } as const;

/**
 * A chart is a placeholder plus its data as inert JSON; /assets/charts.js draws it with uPlot.
 * With nothing to draw the page says so instead of showing an empty frame.
 */
export function chart(id: string, spec: ChartSpec): Html {
  const hasData = spec.series.some((s) => s.values.some((v) => v !== null));
  if (!hasData) {
    return html`<div class="chart"><h3>${spec.title}</h3><div class="empty"><strong>No data in this window</strong><p>Probes will fill this chart as they run.</p></div></div>`;
  }
  const dataId = `chart-data-${id}`;
  const data = {
    unit: spec.unit,
    x: spec.x.map((ms) => ms / 1000),
    series: spec.series.map((s) => ({ label: s.label, color: s.color, values: s.values })),
    bands: (spec.bands ?? []).map((b) => [b.start / 1000, b.end / 1000, b.label]),
  };
  return html`<div class="chart" data-chart="${dataId}"><h3>${spec.title}</h3><div class="plot"></div>${jsonScript(dataId, data)}</div>`;
}
