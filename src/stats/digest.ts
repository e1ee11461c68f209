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
 * Compaction and merging are one deterministic pass over sorted centroids with Dunning's k1
 * (arcsine) scale function; quantiles use the npm `tdigest` package's interpolation rule. The
 * package itself is the oracle the tests hold this to, and the baseline scripts/bench/metrics.ts
 * measures it against: its merge (a red-black tree fed centroid by centroid) and its randomized
 * compress() were too slow and not repeatable for rollups (BENCHMARKS.md).
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
  // Indexed, not for-of: merged digests are preallocated (holey) arrays, and iterating one
  // allocated an iterator result per centroid, thousands per request.
  const { counts } = digest;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
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

/** Two sorted digests into one, equal positions combined: a linear walk. */
function mergeTwo(a: Digest, b: Digest): Digest {
  const na = a.units.length;
  const nb = b.units.length;
  const units = new Array<number>(na + nb);
  const counts = new Array<number>(na + nb);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < na && j < nb) {
    const ua = a.units[i]!;
    const ub = b.units[j]!;
    if (ua < ub) {
      units[k] = ua;
      counts[k++] = a.counts[i++]!;
    } else if (ub < ua) {
      units[k] = ub;
      counts[k++] = b.counts[j++]!;
    } else {
      units[k] = ua;
      counts[k++] = a.counts[i++]! + b.counts[j++]!;
    }
  }
  for (; i < na; i++, k++) {
    units[k] = a.units[i]!;
    counts[k] = a.counts[i]!;
  }
  for (; j < nb; j++, k++) {
    units[k] = b.units[j]!;
    counts[k] = b.counts[j]!;
  }
  units.length = k;
  counts.length = k;
  return { units, counts };
}

/**
 * Any number of sorted digests in one k-way walk: a binary min-heap of the parts by their next
 * position, the output sized once. A window's open minutes arrive as dozens of small digests on
 * every request; merging them pairwise allocated a fresh pair of arrays per pair and per level.
 */
function mergeMany(parts: readonly Digest[]): Digest {
  const n = parts.length;
  if (n === 1) return parts[0]!;
  if (n === 2) return mergeTwo(parts[0]!, parts[1]!);
  let size = 0;
  for (let p = 0; p < n; p++) size += parts[p]!.units.length;
  const units = new Array<number>(size);
  const counts = new Array<number>(size);
  // Per part: its next index and that index's position, so the heap compares plain numbers.
  const at = new Int32Array(n);
  const next = new Float64Array(n);
  const heap = new Int32Array(n);
  let heapSize = 0;
  for (let p = 0; p < n; p++) {
    if (parts[p]!.units.length === 0) continue;
    next[p] = parts[p]!.units[0]!;
    heap[heapSize++] = p;
  }
  for (let start = (heapSize >> 1) - 1; start >= 0; start--) siftDown(heap, heapSize, next, start);
  let k = 0;
  while (heapSize > 0) {
    const p = heap[0]!;
    const part = parts[p]!;
    const unit = next[p]!;
    const count = part.counts[at[p]!]!;
    if (k > 0 && units[k - 1] === unit) counts[k - 1]! += count;
    else {
      units[k] = unit;
      counts[k++] = count;
    }
    const i = ++at[p]!;
    if (i < part.units.length) next[p] = part.units[i]!;
    else heap[0] = heap[--heapSize]!;
    siftDown(heap, heapSize, next, 0);
  }
  units.length = k;
  counts.length = k;
  return { units, counts };
}

/** Restores the min-heap of part indices (by their next position) below `start`. */
function siftDown(heap: Int32Array, size: number, next: Float64Array, start: number): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const child = r < size && next[heap[r]!]! < next[heap[l]!]! ? r : l;
    if (next[heap[child]!]! >= next[heap[i]!]!) return;
    const swap = heap[i]!;
    heap[i] = heap[child]!;
    heap[child] = swap;
    i = child;
  }
}

/**
 * Merges any number of digests: sorted inputs merged in one k-way walk, then one compaction
 * pass. The result depends only on the multiset of centroids, not
 * on the order of `parts`. Far cheaper than pushing every centroid through the package's
 * red-black tree (measured in scripts/bench/metrics.ts). The largest part joins last: a window's
 * merged closed time plus a few open minutes is then one walk over it, not one per level.
 */
export function mergeDigests(parts: readonly Digest[], options: { bounded?: boolean } = {}): Digest {
  const nonEmpty = parts.filter((part) => part.units.length > 0);
  if (nonEmpty.length === 0) return emptyDigest();
  if (nonEmpty.length === 1) return { units: [...nonEmpty[0]!.units], counts: [...nonEmpty[0]!.counts] };
  let largest = 0;
  for (let k = 1; k < nonEmpty.length; k++) if (nonEmpty[k]!.units.length > nonEmpty[largest]!.units.length) largest = k;
  const rest = nonEmpty.filter((_, k) => k !== largest);
  const merged = mergeTwo(nonEmpty[largest]!, mergeMany(rest));
  return options.bounded !== false && merged.units.length > MAX_CENTROIDS ? compact(merged) : merged;
}

/**
 * Quantiles (0..1) in milliseconds; undefined when empty. The npm package's rule, walked over
 * the sorted arrays: each centroid's mass sits at its middle (cumulative count − n/2), and a
 * quantile interpolates linearly between the two centroids around its rank (the first or last
 * centroid beyond them). Loading the package's red-black tree only to read four quantiles cost
 * more than the rest of a request; test/stats-digest.test.ts holds this equal to the package.
 */
export function quantiles(digest: Digest, ps: readonly number[]): number[] | undefined {
  const { units, counts } = digest;
  const size = units.length;
  if (size === 0) return undefined;
  const middles = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    middles[i] = total + counts[i]! / 2;
    total += counts[i]!;
  }
  return ps.map((p) => {
    const rank = total * p;
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (middles[mid]! <= rank) lo = mid + 1;
      else hi = mid;
    }
    const lower = lo - 1;
    if (lower < 0) return fromUnit(units[0]!);
    if (lower === size - 1 || middles[lower] === rank) return fromUnit(units[lower]!);
    const share = (rank - middles[lower]!) / (middles[lower + 1]! - middles[lower]!);
    return fromUnit(units[lower]! + share * (units[lower + 1]! - units[lower]!));
  });
}

/**
 * quantiles(mergeDigests(parts, { bounded: false }), ps), without building the merge: the
 * largest part (a window's merged closed time) is walked together with the merge of the rest
 * (its few open minutes), and the walk stops at each rank. Same centroids, same running sums,
 * same interpolation as quantiles(), so the same numbers to the bit; what it saves is copying
 * thousands of centroids on every request only to read four values.
 */
export function quantilesOfParts(parts: readonly Digest[], ps: readonly number[]): number[] | undefined {
  const nonEmpty = parts.filter((part) => part.units.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty.length === 0 ? undefined : quantiles(nonEmpty[0]!, ps);
  let largest = 0;
  for (let k = 1; k < nonEmpty.length; k++) if (nonEmpty[k]!.units.length > nonEmpty[largest]!.units.length) largest = k;
  const a = nonEmpty[largest]!;
  const b = mergeMany(nonEmpty.filter((_, k) => k !== largest));
  const total = digestWeight(a) + digestWeight(b);
  let i = 0;
  let j = 0;
  // The centroid under the cursor: the next position of either digest, equal positions combined.
  let unit = 0;
  let count = 0;
  let more = true;
  const step = () => {
    const ua = i < a.units.length ? a.units[i]! : Number.POSITIVE_INFINITY;
    const ub = j < b.units.length ? b.units[j]! : Number.POSITIVE_INFINITY;
    if (ua === Number.POSITIVE_INFINITY && ub === Number.POSITIVE_INFINITY) {
      more = false;
      return;
    }
    unit = Math.min(ua, ub);
    count = 0;
    if (ua === unit) count += a.counts[i++]!;
    if (ub === unit) count += b.counts[j++]!;
  };
  step();
  const firstUnit = unit;
  let before = 0;
  let lowerUnit = 0;
  let lowerMiddle = -1;
  const out = new Array<number>(ps.length);
  let ascending = true;
  for (let k = 1; k < ps.length; k++) if (ps[k]! < ps[k - 1]!) ascending = false;
  // The walk only goes forward: ranks in ascending order (the API asks for them so already).
  const order = ascending ? ps.map((_, k) => k) : ps.map((_, k) => k).sort((x, y) => ps[x]! - ps[y]!);
  for (const k of order) {
    const rank = total * ps[k]!;
    while (more && before + count / 2 <= rank) {
      lowerUnit = unit;
      lowerMiddle = before + count / 2;
      before += count;
      step();
    }
    if (lowerMiddle < 0) out[k] = fromUnit(firstUnit);
    else if (!more || lowerMiddle === rank) out[k] = fromUnit(lowerUnit);
    else {
      const share = (rank - lowerMiddle) / (before + count / 2 - lowerMiddle);
      out[k] = fromUnit(lowerUnit + share * (unit - lowerUnit));
    }
  }
  return out;
}
