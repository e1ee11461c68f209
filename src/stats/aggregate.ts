import {
  AVAILABILITY_FAILURES,
  ERROR_CLASSES,
  RATE_LIMIT_CLASSES,
  type ProbeResult,
  type RateLimitSnapshot,
} from '../probe/types.ts';
import { addValue, compact, emptyDigest, MAX_CENTROIDS, mergeDigests, quantilesOfParts, type Digest } from './digest.ts';

/**
 * What a rollup bucket, a raw edge or a whole window knows: exact counts and sums, and digests
 * for the percentiles. The same shape at every level, so adding them up is one function.
 */
export const OUTCOMES = ['ok', ...ERROR_CLASSES] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

export interface ValueStats {
  count: number;
  sum: number;
  max: number | null;
  /** The digest values are added to; only this agg ever mutates it. */
  own: Digest;
  /** Digests merged in from other aggs: read-only, shared, merged lazily once. */
  parts: Digest[];
}

/**
 * The newest rate-limit snapshot seen. Rollups keep only its time and target (a snapshot is
 * ~190 bytes of JSON, on every bucket row); the snapshot itself is read back from that raw
 * result when a window is answered, so `snapshot` is undefined until then.
 */
export interface RateLimitSeen {
  at: number;
  targetId?: number;
  snapshot?: RateLimitSnapshot | null;
}

export interface Agg {
  probes: number;
  counts: OutcomeCounts;
  latency: ValueStats;
  ttft: ValueStats;
  /** Lowest remaining/limit ratio over requests and tokens; null when no limit was reported. */
  rlMinRatio: number | null;
  rlLatest: RateLimitSeen | null;
}

/** The fields of a probe result that metrics use (raw rows are read with only these). */
export type ResultFacts = Pick<ProbeResult, 'startedAt' | 'ok' | 'errorClass' | 'latencyMs' | 'ttftMs' | 'rateLimit'>;

export function emptyCounts(): OutcomeCounts {
  // A loop, not Object.fromEntries: every rollup row read makes one, and fromEntries cost more
  // than decoding the row's digests.
  const counts = {} as OutcomeCounts;
  for (const outcome of OUTCOMES) counts[outcome] = 0;
  return counts;
}

export function emptyStats(): ValueStats {
  return { count: 0, sum: 0, max: null, own: emptyDigest(), parts: [] };
}

export function emptyAgg(): Agg {
  return { probes: 0, counts: emptyCounts(), latency: emptyStats(), ttft: emptyStats(), rlMinRatio: null, rlLatest: null };
}

/** A failed result always carries a class; one without is counted as a bad response, never as ok. */
export function outcomeOf(result: Pick<ProbeResult, 'ok' | 'errorClass'>): Outcome {
  if (result.ok) return 'ok';
  return result.errorClass ?? 'bad_response';
}

export function rateLimitRatio(snapshot: RateLimitSnapshot): number | null {
  let lowest: number | null = null;
  for (const [remaining, limit] of [
    [snapshot.requests_remaining, snapshot.requests_limit],
    [snapshot.tokens_remaining, snapshot.tokens_limit],
  ] as const) {
    if (remaining === null || limit === null || limit <= 0) continue;
    const ratio = Math.max(0, remaining) / limit;
    if (lowest === null || ratio < lowest) lowest = ratio;
  }
  return lowest;
}

function addSample(stats: ValueStats, value: number): void {
  stats.count += 1;
  stats.sum += value;
  if (stats.max === null || value > stats.max) stats.max = value;
  stats.own = addValue(stats.own, value);
}

/** Folds one probe result in. Latency and TTFT describe successful probes only (DESIGN.md §5). */
export function addResult(agg: Agg, result: ResultFacts): Agg {
  agg.probes += 1;
  agg.counts[outcomeOf(result)] += 1;
  if (result.ok) {
    if (result.latencyMs !== null) addSample(agg.latency, result.latencyMs);
    if (result.ttftMs !== null) addSample(agg.ttft, result.ttftMs);
  }
  if (result.rateLimit) noteRateLimit(agg, { at: result.startedAt, snapshot: result.rateLimit }, rateLimitRatio(result.rateLimit));
  return agg;
}

function noteRateLimit(agg: Agg, seen: RateLimitSeen | null, ratio: number | null): void {
  if (ratio !== null && (agg.rlMinRatio === null || ratio < agg.rlMinRatio)) agg.rlMinRatio = ratio;
  // `>=`: of two snapshots at the same instant, the one folded in later (higher id) wins.
  if (seen && (agg.rlLatest === null || seen.at >= agg.rlLatest.at)) agg.rlLatest = seen;
}

function mergeStats(into: ValueStats, from: ValueStats): void {
  into.count += from.count;
  into.sum += from.sum;
  if (from.max !== null && (into.max === null || from.max > into.max)) into.max = from.max;
  if (from.own.units.length > 0) into.parts.push(from.own);
  into.parts.push(...from.parts);
}

function copyStats(stats: ValueStats): ValueStats {
  return { count: stats.count, sum: stats.sum, max: stats.max, own: stats.own, parts: [...stats.parts] };
}

/**
 * A copy that more aggs can be merged into (mergeInto) without changing `agg`: what a cached
 * merge hands each request. Digests are shared, so never addResult() into a copy.
 */
export function copyAgg(agg: Agg): Agg {
  return { probes: agg.probes, counts: { ...agg.counts }, latency: copyStats(agg.latency), ttft: copyStats(agg.ttft), rlMinRatio: agg.rlMinRatio, rlLatest: agg.rlLatest };
}

/** Adds `from` into `into`; `from` is left as it was and may be merged elsewhere too. */
export function mergeInto(into: Agg, from: Agg): Agg {
  into.probes += from.probes;
  for (const outcome of OUTCOMES) into.counts[outcome] += from.counts[outcome];
  mergeStats(into.latency, from.latency);
  mergeStats(into.ttft, from.ttft);
  noteRateLimit(into, from.rlLatest, from.rlMinRatio);
  return into;
}

/**
 * The merged digest of everything folded in; the merge is kept so it happens once. Reading
 * quantiles needs no compaction (more centroids only add precision); `bounded` compacts it to
 * at most MAX_CENTROIDS for storage.
 */
export function statsDigest(stats: ValueStats, bounded = false): Digest {
  if (stats.parts.length > 0) {
    stats.own = mergeDigests([stats.own, ...stats.parts], { bounded: false });
    stats.parts = [];
  }
  if (bounded && stats.own.units.length > MAX_CENTROIDS) stats.own = compact(stats.own);
  return stats.own;
}

/** Quantiles of everything folded in, leaving `stats` as it is (a cached merge may be shared). */
export function statsQuantiles(stats: ValueStats, ps: readonly number[]): number[] | undefined {
  return quantilesOfParts(stats.parts.length === 0 ? [stats.own] : [stats.own, ...stats.parts], ps);
}

export function availabilityFailures(counts: OutcomeCounts): number {
  let failures = 0;
  for (const outcome of AVAILABILITY_FAILURES) failures += counts[outcome];
  return failures;
}

export function rateLimitedCount(counts: OutcomeCounts): number {
  let limited = 0;
  for (const outcome of RATE_LIMIT_CLASSES) limited += counts[outcome];
  return limited;
}
