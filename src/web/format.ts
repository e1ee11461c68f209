import { html, type Html } from './html.ts';

/** How numbers and times read on the dashboard; a missing value is an em dash, never "NaN". */
const DASH = '—';

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  // 999.6 ms would round to "1000 ms": past that point seconds read better.
  if (value >= 999.5) return `${(value / 1000).toFixed(2)} s`;
  return `${Math.round(value)} ms`;
}

/** A ratio (0..1) as a percentage with enough digits to tell 99.9% from 100%. */
export function formatRatio(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const pct = value * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  return `${pct.toFixed(digits)}%`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return value.toLocaleString('en-US');
}

/** UTC, minute precision: the dashboard and the API agree on one clock. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function formatAgo(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return DASH;
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

export function formatSpan(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const STATUS_LABELS: Record<string, string> = {
  operational: 'Operational',
  degraded: 'Degraded',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  unknown: 'Unknown',
  misconfigured: 'Misconfigured',
  open: 'Open',
  resolved: 'Resolved',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** The class is from a fixed list so data can never inject one. */
export function statusBadge(status: string, extra?: string): Html {
  const known = status in STATUS_LABELS ? status : 'unknown';
  return html`<span class="badge s-${known}">${statusLabel(status)}${extra ? html` <small>${extra}</small>` : ''}</span>`;
}
