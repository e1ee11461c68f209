import { formatTime } from './format.ts';
import { html, type Html } from './html.ts';

export interface Page {
  title: string;
  body: Html;
  /** Which nav entry to highlight. */
  section?: 'live' | 'incidents' | 'reports';
  /** Seconds between reloads (the Live page). */
  refresh?: number;
  /** Load uPlot and the chart script. */
  charts?: boolean;
  status?: number;
}

export interface LayoutContext {
  version: string;
  now: number;
}

const NAV = [
  { key: 'live', href: '/', label: 'Live' },
  { key: 'incidents', href: '/incidents', label: 'Incidents' },
  { key: 'reports', href: '/reports', label: 'Reports' },
] as const;

/** The one document shell: assets carry the version in their URL so a new release is never served stale CSS. */
export function layout(page: Page, ctx: LayoutContext): string {
  const v = encodeURIComponent(ctx.version);
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.refresh ? html`<meta http-equiv="refresh" content="${page.refresh}">` : ''}
<title>${page.title} &middot; CapPulse</title>
<link rel="icon" href="/assets/favicon.svg?v=${v}" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css?v=${v}">
${page.charts ? html`<link rel="stylesheet" href="/assets/uplot.min.css?v=${v}">` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/">CapPulse</a>
  <nav>${NAV.map((n) => html`<a href="${n.href}"${page.section === n.key ? html` aria-current="page"` : ''}>${n.label}</a>`)}</nav>
</header>
<main>
${page.body}
</main>
<footer>CapPulse ${ctx.version} &middot; rendered ${formatTime(ctx.now)}${page.refresh ? html` &middot; refreshes every ${page.refresh}s` : ''}</footer>
${page.charts ? html`<script src="/assets/uplot.iife.min.js?v=${v}"></script><script src="/assets/charts.js?v=${v}"></script>` : ''}
</body>
</html>
`;
  return doc.value;
}

/** A linked choice of values (window, period) that keeps the current page. */
export function choices(path: string, param: string, values: readonly string[], current: string): Html {
  return html`<div class="choices" role="group" aria-label="${param}">${values.map(
    (value) => html`<a href="${path}?${param}=${value}"${value === current ? html` aria-current="true"` : ''}>${value}</a>`,
  )}</div>`;
}

export function emptyState(title: string, hint: string | Html): Html {
  return html`<div class="empty"><strong>${title}</strong><p>${hint}</p></div>`;
}
