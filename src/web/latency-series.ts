import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { emptyAgg, mergeInto, statsDigest, type Agg } from '../stats/aggregate.ts';
import { quantiles } from '../stats/digest.ts';
import { floorTo, HOUR, seriesStarts, type WindowRange } from '../stats/windows.ts';
import { readRollups, rowToAgg } from '../store/rollups.ts';
import { SETTLED_MS, type Memo } from './memo.ts';
import { readRollupsGeneration } from '../store/rollup-generation.ts';

export interface LatencySeries {
  /** Bucket starts, epoch ms: the same buckets as the metrics series. */
  x: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

type Point = [p50: number | null, p95: number | null, p99: number | null];


/**
 * p50/p95/p99 per series bucket for the latency chart (the metrics object's series carries p95
 * only). Whole rollup buckets are merged: series buckets are multiples of a rollup bucket, so
 * rollups alone answer them, and rollups are written in each result's own transaction. Buckets
 * that closed before the late-result grace are kept in the memo: a 24h chart is 1,440 minute
 * rollups per target, and only its newest few buckets can still change.
 */
export async function latencySeries(db: Kysely<Database>, targetIds: readonly number[], range: WindowRange, now: number, memo: Memo): Promise<LatencySeries> {
  memo.syncGeneration(await readRollupsGeneration(db));
  const x = seriesStarts(range);
  const key = (start: number) => `latency:${targetIds.join(',')}:${range.bucketMs}:${start}`;
  const closed = (start: number) => start + range.bucketMs <= now - SETTLED_MS;
  // Read from the first bucket the memo cannot answer; everything before it is remembered.
  const firstMissing = x.find((start) => !closed(start) || memo.get<Point>(key(start)) === undefined) ?? range.to;
  const table = range.bucketMs >= HOUR ? 'rollups_hour' : 'rollups_minute';
  const byBucket = new Map<number, Agg>();
  for (const row of await readRollups(db, table, targetIds, [firstMissing, range.to])) {
    const bucket = floorTo(Number(row.bucket), range.bucketMs);
    let agg = byBucket.get(bucket);
    if (!agg) byBucket.set(bucket, (agg = emptyAgg()));
    mergeInto(agg, rowToAgg(row));
  }
  const out: LatencySeries = { x, p50: [], p95: [], p99: [] };
  for (const start of x) {
    let point = start < firstMissing ? memo.get<Point>(key(start)) : undefined;
    if (!point) {
      const agg = byBucket.get(start);
      const q = agg && agg.latency.count > 0 ? quantiles(statsDigest(agg.latency), [0.5, 0.95, 0.99]) : undefined;
      point = [q?.[0] ?? null, q?.[1] ?? null, q?.[2] ?? null];
      if (closed(start)) memo.set(key(start), point);
    }
    out.p50.push(point[0]);
    out.p95.push(point[1]);
    out.p99.push(point[2]);
  }
  return out;
}
