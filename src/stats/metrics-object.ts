import type { RateLimitSnapshot } from '../probe/types.ts';
import { availabilityFailures, rateLimitedCount, statsQuantiles, type Agg, type OutcomeCounts, type ValueStats } from './aggregate.ts';
import { WINDOWS, type WindowRange } from './windows.ts';
import { isoOrNull } from '../lib/time.ts';

/** The metrics object of DESIGN.md §5, built from an aggregate. Pure: no clock, no database. */
export interface ValueSummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  samples: number;
}

/** A snapshot as the API shows it: resets as ISO 8601 instants, like every other time it returns. */
export type RateLimitSnapshotView = Omit<RateLimitSnapshot, 'requests_reset_at' | 'tokens_reset_at'> & {
  requests_reset_at: string | null;
  tokens_reset_at: string | null;
};

export function snapshotView(snapshot: RateLimitSnapshot): RateLimitSnapshotView {
  return { ...snapshot, requests_reset_at: isoOrNull(snapshot.requests_reset_at), tokens_reset_at: isoOrNull(snapshot.tokens_reset_at) };
}

export interface RateLimitView {
  /** The newest normalized snapshot in the window. */
  latest: RateLimitSnapshotView | null;
  latest_at: string | null;
  /** Lowest remaining/limit ratio (requests or tokens) seen in the window. */
  lowest_ratio: number | null;
}

export interface Headline {
  probes: number;
  counts: OutcomeCounts;
  availability: number | null;
  error_rate: number | null;
  rate_limited_rate: number | null;
  latency_ms: ValueSummary | null;
  ttft_ms: ValueSummary | null;
  rate_limit: RateLimitView;
}

export interface SeriesPoint {
  start: string;
  probes: number;
  error_rate: number | null;
  rate_limited_rate: number | null;
  p95_ms: number | null;
}

export interface Series {
  bucket: '1m' | '15m' | '1h';
  points: SeriesPoint[];
}

export interface MetricsObject extends Headline {
  window: WindowRange['name'];
  from: string;
  to: string;
  series: Series;
}

const PERCENTILES = [0.5, 0.9, 0.95, 0.99] as const;
const P95 = [0.95] as const;

/** Digest precision is 0.1 %, so hundredths of a millisecond already say more than we know. */
function ms(value: number): number {
  return Math.round(value * 100) / 100;
}

export function summarize(stats: ValueStats): ValueSummary | null {
  if (stats.count === 0) return null;
  const [p50, p90, p95, p99] = statsQuantiles(stats, PERCENTILES) ?? [];
  return {
    p50: ms(p50 ?? 0),
    p90: ms(p90 ?? 0),
    p95: ms(p95 ?? 0),
    p99: ms(p99 ?? 0),
    mean: ms(stats.sum / stats.count),
    max: ms(stats.max ?? 0),
    samples: stats.count,
  };
}

/** availability = ok / (ok + availability failures); rate-limited share is over all probes. */
export function rates(agg: Pick<Agg, 'probes' | 'counts'>): Pick<Headline, 'availability' | 'error_rate' | 'rate_limited_rate'> {
  const considered = agg.counts.ok + availabilityFailures(agg.counts);
  const availability = considered === 0 ? null : agg.counts.ok / considered;
  return {
    availability,
    error_rate: availability === null ? null : 1 - availability,
    rate_limited_rate: agg.probes === 0 ? null : rateLimitedCount(agg.counts) / agg.probes,
  };
}

export function headlineOf(agg: Agg): Headline {
  return {
    probes: agg.probes,
    counts: { ...agg.counts },
    ...rates(agg),
    latency_ms: summarize(agg.latency),
    ttft_ms: summarize(agg.ttft),
    rate_limit: {
      latest: agg.rlLatest?.snapshot ? snapshotView(agg.rlLatest.snapshot) : null,
      latest_at: agg.rlLatest?.snapshot ? new Date(agg.rlLatest.at).toISOString() : null,
      lowest_ratio: agg.rlMinRatio,
    },
  };
}

export function seriesPointOf(start: number, agg: Agg): SeriesPoint {
  const { error_rate, rate_limited_rate } = rates(agg);
  const p95 = agg.latency.count === 0 ? undefined : statsQuantiles(agg.latency, P95)?.[0];
  return { start: new Date(start).toISOString(), probes: agg.probes, error_rate, rate_limited_rate, p95_ms: p95 === undefined ? null : ms(p95) };
}

export function metricsObject(range: WindowRange, total: Agg, points: SeriesPoint[]): MetricsObject {
  return {
    window: range.name,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    ...headlineOf(total),
    series: { bucket: WINDOWS[range.name].bucketLabel, points },
  };
}
