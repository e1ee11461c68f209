import { html, raw, type Html } from './html.ts';

export interface SparklineOptions {
  width?: number;
  height?: number;
  label: string;
  /** Lowest top of the scale, so a flat 0.1% error rate does not fill the box. */
  minMax?: number;
}

/**
 * A server-rendered inline SVG line: no script, readable in any browser and in the page's HTML.
 * Buckets with no data (null) are skipped and the line joins its neighbours: with probes less
 * often than the bucket width most buckets are empty, and a line of dots would read as noise.
 */
export function sparkline(points: readonly (number | null)[], options: SparklineOptions): Html {
  const width = options.width ?? 120;
  const height = options.height ?? 28;
  const present = points.flatMap((p, i) => (p !== null && Number.isFinite(p) ? [{ i, v: p }] : []));
  const box = html`viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${options.label}"`;
  if (present.length === 0) {
    return html`<svg class="spark spark-empty" ${box}><line x1="0" y1="${height - 1}" x2="${width}" y2="${height - 1}"/></svg>`;
  }
  const max = Math.max(options.minMax ?? 0, ...present.map((p) => p.v)) || 1;
  const pad = 2;
  const x = (i: number) => (points.length > 1 ? (i * width) / (points.length - 1) : width / 2).toFixed(1);
  const y = (v: number) => (height - pad - (v / max) * (height - 2 * pad)).toFixed(1);
  const shape =
    present.length === 1
      ? `<circle cx="${x(present[0]!.i)}" cy="${y(present[0]!.v)}" r="1.5"/>`
      : `<polyline points="${present.map((p) => `${x(p.i)},${y(p.v)}`).join(' ')}"/>`;
  return html`<svg class="spark" ${box}><title>${options.label}</title>${raw(shape)}</svg>`;
}
