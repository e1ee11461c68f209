import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { emptyAgg, mergeInto, statsDigest, type Agg } from '../stats/aggregate.ts';
import { quantiles } from '../stats/digest.ts';
import { floorTo, HOUR, seriesStarts, type WindowRange } from '../stats/windows.ts';
import { readRollups, rowToAgg } from '../store/rollups.ts';

export interface LatencySeries {
  /** Bucket starts, epoch ms: the same buckets as the metrics series. */
  x: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

/**
 * p50/p95/p99 per series bucket for the latency chart (the metrics object's series carries p95
 * only). Whole rollup buckets are merged: series buckets are multiples of a rollup bucket, so
 * rollups alone answer them, and rollups are written in each result's own transaction.
 */
export async function latencySeries(db: Kysely<Database>, targetIds: readonly number[], range: WindowRange): Promise<LatencySeries> {
  const x = seriesStarts(range);
  const table = range.bucketMs >= HOUR ? 'rollups_hour' : 'rollups_minute';
  const byBucket = new Map<number, Agg>();
  const first = x[0] ?? range.from;
  for (const row of await readRollups(db, table, targetIds, [first, range.to])) {
    const bucket = floorTo(Number(row.bucket), range.bucketMs);
    let agg = byBucket.get(bucket);
    if (!agg) byBucket.set(bucket, (agg = emptyAgg()));
    mergeInto(agg, rowToAgg(row));
  }
  const out: LatencySeries = { x, p50: [], p95: [], p99: [] };
  for (const start of x) {
    const agg = byBucket.get(start);
    const q = agg && agg.latency.count > 0 ? quantiles(statsDigest(agg.latency), [0.5, 0.95, 0.99]) : undefined;
    out.p50.push(q?.[0] ?? null);
    out.p95.push(q?.[1] ?? null);
    out.p99.push(q?.[2] ?? null);
  }
  return out;
}
