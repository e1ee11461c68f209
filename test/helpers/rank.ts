/**
 * Rank error of a quantile estimate against the exact sorted values: how far the quantile asked
 * for lies outside the range of ranks the estimate can stand for. `tolerance` widens the
 * estimate to ± that fraction of itself: digests store positions to 0.1 %, so with few samples
 * and tied values (three probes of 599 ms) the rounding alone could jump a whole tie group.
 */
export function rankError(sorted: readonly number[], estimate: number, p: number, tolerance = 0): number {
  const below = countBelow(sorted, estimate * (1 - tolerance), false);
  const upTo = countBelow(sorted, estimate * (1 + tolerance), true);
  const target = p * sorted.length;
  if (tolerance === 0) return ((below + upTo) / 2 - target) / sorted.length;
  if (target < below) return (below - target) / sorted.length;
  if (target > upTo) return (upTo - target) / sorted.length;
  return 0;
}

/** Values below x (or at most x when `inclusive`), by binary search. */
function countBelow(sorted: readonly number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x || (inclusive && sorted[mid]! === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
