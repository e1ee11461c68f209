/**
 * Results of closed time ranges (buckets and hours that ended past the late-result grace) never
 * change, so pages keep them instead of re-reading thousands of rollup rows on every view. One
 * instance per server, created with the routes; bounded, dropping the oldest entries first.
 */
/**
 * A result is stored when its probe ends, up to the total timeout (60 s by default) after the
 * instant it is filed under; a range is remembered only once it ended this long ago, twice the
 * grace the metrics read allows (5 min) so it is settled whichever way that is tuned.
 */
export const SETTLED_MS = 10 * 60_000;

export interface Memo {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
  /**
   * Forgets everything when the rollups generation moved (a `rollups rebuild`, perhaps from
   * another process, can rewrite closed rollups). Call with a freshly read generation before
   * answering from rollups.
   */
  syncGeneration(generation: number): void;
}

export function createMemo(maxEntries = 5000): Memo {
  const entries = new Map<string, unknown>();
  let seen: number | undefined;
  return {
    syncGeneration(generation) {
      if (seen !== undefined && generation !== seen) entries.clear();
      seen = generation;
    },
    get: <T>(key: string) => entries.get(key) as T | undefined,
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      // Maps iterate in insertion order: the first key is the oldest.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}
