import tdigest from 'tdigest';

/**
 * Latency digests: t-digests of ln(1 + ms), kept as sorted integer centroids.
 *
 * Why log space: quantiles are unchanged by a monotone transform, and a fixed number of units
 * per e-fold gives every latency the same relative precision (0.1 %), from a 3 ms local model to
 * a 60 s timeout, with small integers that serialize to one or two bytes each.
 *
 * Why integers: a centroid's position is rounded to a unit after every merge, so the same
 * values pushed in the same order give byte-identical digests. The rollup stage (one value at a
 * time) and `rollups rebuild` (replaying raw rows) therefore agree exactly, which the npm
 * package's own compress() (a Math.random shuffle) cannot give.
 *
 * The npm `tdigest` package answers the quantile questions (its interpolation between centroid
 * mass midpoints); storage, compaction and merging are a deterministic single pass over sorted
 * centroids with Dunning's k1 (arcsine) scale function, measured in BENCHMARKS.md.
 */
export interface Digest {
  /** Centroid positions in log units, ascending and distinct. */
  readonly units: number[];
  /** Weights, parallel to `units`. */
  readonly counts: number[];
}

/** Units per e-fold of (1 + ms): 1000 → 0.1 % relative precision. */
export const UNITS_PER_E = 1000;
/** Compression δ of the k1 scale function: at most δ centroids, about 1.6 % of the mass in the median one. */
export const COMPRESSION = 200;
/** A digest is compacted only when it grows past this many centroids, so small buckets stay exact. */
export const MAX_CENTROIDS = COMPRESSION;

export function emptyDigest(): Digest {
  return { units: [], counts: [] };
}

export function toUnit(ms: number): number {
  // Latencies are never negative; a negative input is a clock glitch, not a value to keep.
  return Math.round(Math.log1p(Math.max(0, ms)) * UNITS_PER_E);
}

export function fromUnit(unit: number): number {
  return Math.expm1(unit / UNITS_PER_E);
}

export function digestWeight(digest: Digest): number {
  let total = 0;
  for (const n of digest.counts) total += n;
  return total;
}

/** Adds one value in place (binary search + splice), compacting once the digest grows too big. */
export function addValue(digest: Digest, ms: number): Digest {
  const unit = toUnit(ms);
  const { units, counts } = digest;
  let lo = 0;
  let hi = units.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (units[mid]! < unit) lo = mid + 1;
    else hi = mid;
  }
  if (units[lo] === unit) counts[lo]! += 1;
  else {
    units.splice(lo, 0, unit);
    counts.splice(lo, 0, 1);
  }
  return units.length > MAX_CENTROIDS ? compact(digest) : digest;
}

/** Digest of a list of values, pushed in order (the order matters only once compaction starts). */
export function digestOf(values: Iterable<number>): Digest {
  let digest = emptyDigest();
  for (const value of values) digest = addValue(digest, value);
  return digest;
}

/** q → k for the k1 scale function; k spans [-δ/4, δ/4]. */
function scaleK(q: number): number {
  return (COMPRESSION / (2 * Math.PI)) * Math.asin(2 * q - 1);
}

function scaleQ(k: number): number {
  if (k >= COMPRESSION / 4) return 1;
  return (Math.sin((2 * Math.PI * k) / COMPRESSION) + 1) / 2;
}

/**
 * One merging pass over sorted centroids: neighbours join while the joined centroid spans at
 * most one unit of k. Tails keep small centroids (p99 stays sharp), the middle gets big ones.
 */
export function compact(digest: Digest): Digest {
  const { units, counts } = digest;
  if (units.length <= 1) return digest;
  const total = digestWeight(digest);
  const outUnits: number[] = [];
  const outCounts: number[] = [];
  let before = 0;
  let limit = scaleQ(scaleK(0) + 1) * total;
  let sum = units[0]! * counts[0]!;
  let weight = counts[0]!;
  const emit = () => {
    const unit = Math.round(sum / weight);
    if (outUnits.length > 0 && outUnits.at(-1) === unit) outCounts[outCounts.length - 1]! += weight;
    else {
      outUnits.push(unit);
      outCounts.push(weight);
    }
    before += weight;
    limit = scaleQ(scaleK(before / total) + 1) * total;
  };
  for (let i = 1; i < units.length; i++) {
    const n = counts[i]!;
    if (before + weight + n <= limit) {
      sum += units[i]! * n;
      weight += n;
    } else {
      emit();
      sum = units[i]! * n;
      weight = n;
    }
  }
  emit();
  return { units: outUnits, counts: outCounts };
}

/** mergeDigests packs a position and an index into one double; bigger merges are split in halves. */
const INDEX_SPACE = 2 ** 22;

/**
 * Merges any number of digests: gather, sort, one compaction pass. Sorting a flat array of
 * packed keys is far cheaper than pushing every centroid through the package's red-black tree
 * (measured in scripts/bench/metrics.ts).
 */
export function mergeDigests(parts: readonly Digest[]): Digest {
  const nonEmpty = parts.filter((part) => part.units.length > 0);
  if (nonEmpty.length === 0) return emptyDigest();
  if (nonEmpty.length === 1) {
    const only = nonEmpty[0]!;
    return { units: [...only.units], counts: [...only.counts] };
  }
  let size = 0;
  for (const part of nonEmpty) size += part.units.length;
  if (size >= INDEX_SPACE) {
    const half = nonEmpty.length >> 1;
    return mergeDigests([mergeDigests(nonEmpty.slice(0, half)), mergeDigests(nonEmpty.slice(half))]);
  }
  // unit * 2^22 + index fits a double exactly (units < 2^30 for any real latency), so a native
  // Float64Array sort orders by unit and still tells us which centroid each key came from.
  const keys = new Float64Array(size);
  const weights = new Float64Array(size);
  let at = 0;
  for (const part of nonEmpty) {
    for (let i = 0; i < part.units.length; i++, at++) {
      keys[at] = part.units[i]! * INDEX_SPACE + at;
      weights[at] = part.counts[i]!;
    }
  }
  keys.sort();
  const units: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < size; i++) {
    const key = keys[i]!;
    const index = key % INDEX_SPACE;
    const unit = (key - index) / INDEX_SPACE;
    if (units.length > 0 && units.at(-1) === unit) counts[counts.length - 1]! += weights[index]!;
    else {
      units.push(unit);
      counts.push(weights[index]!);
    }
  }
  const merged = { units, counts };
  return units.length > MAX_CENTROIDS ? compact(merged) : merged;
}

/** Quantiles (0..1) in milliseconds, via the npm package's interpolation; undefined when empty. */
export function quantiles(digest: Digest, ps: readonly number[]): number[] | undefined {
  if (digest.units.length === 0) return undefined;
  // K = 0 turns off the package's own (randomized) compression; centroids arrive sorted, so
  // each becomes its own node and the package only interpolates.
  const td = new tdigest.TDigest(0.01, 0);
  for (let i = 0; i < digest.units.length; i++) td.push_centroid({ mean: digest.units[i]!, n: digest.counts[i]! });
  return td.percentile(ps).map(fromUnit);
}
