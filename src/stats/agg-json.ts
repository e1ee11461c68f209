import type { RateLimitSnapshot } from '../probe/types.ts';
import { emptyCounts, OUTCOMES, statsDigest, type Agg, type OutcomeCounts, type ValueStats } from './aggregate.ts';
import { decodeDigest, encodeDigest } from './digest-codec.ts';

/** An aggregate as plain JSON (digests in their binary form, base64), for the closed-hours cache. */
export interface ValueStatsJson {
  count: number;
  sum: number;
  max: number | null;
  digest: string;
}

export interface AggJson {
  probes: number;
  counts: OutcomeCounts;
  latency: ValueStatsJson;
  ttft: ValueStatsJson;
  rl_min_ratio: number | null;
  rl_latest: { at: number; targetId?: number; snapshot?: RateLimitSnapshot | null } | null;
}

function statsToJson(stats: ValueStats): ValueStatsJson {
  return { count: stats.count, sum: stats.sum, max: stats.max, digest: Buffer.from(encodeDigest(statsDigest(stats, true))).toString('base64') };
}

function statsFromJson(json: ValueStatsJson): ValueStats {
  return { count: json.count, sum: json.sum, max: json.max, own: decodeDigest(Buffer.from(json.digest, 'base64')), parts: [] };
}

export function aggToJson(agg: Agg): AggJson {
  return {
    probes: agg.probes,
    counts: agg.counts,
    latency: statsToJson(agg.latency),
    ttft: statsToJson(agg.ttft),
    rl_min_ratio: agg.rlMinRatio,
    rl_latest: agg.rlLatest,
  };
}

export function aggFromJson(json: AggJson): Agg {
  const counts = emptyCounts();
  for (const outcome of OUTCOMES) counts[outcome] = json.counts[outcome] ?? 0;
  return {
    probes: json.probes,
    counts,
    latency: statsFromJson(json.latency),
    ttft: statsFromJson(json.ttft),
    rlMinRatio: json.rl_min_ratio,
    rlLatest: json.rl_latest,
  };
}
