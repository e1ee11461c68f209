import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { aggFromJson, aggToJson, type AggJson } from '../stats/agg-json.ts';
import { addResult, emptyAgg, mergeInto, type Agg } from '../stats/aggregate.ts';
import { seriesPointOf, type SeriesPoint } from '../stats/metrics-object.ts';
import { floorTo, HOUR, LATE_RESULT_GRACE_MS, planSources, seriesStarts, windowPlan, type Span, type WindowRange } from '../stats/windows.ts';
import { FACT_COLUMNS, findRateLimitsAt, rateLimitKey, rowToFacts } from './result-facts.ts';
import { loadSpan, saveSpan } from './rollup-spans.ts';
import { readRollups, rowToAgg, type RollupTable } from './rollups.ts';

/**
 * Reads a window for a scope (one target, a provider's targets, a model's targets). Closed
 * time never changes, so it is merged once and kept (rollup_spans): whole hours until the
 * window moves on by an hour, the other whole minutes until it moves on by a minute. A request
 * then reads those two rows plus the last few minutes of minute rollups and the partial minutes
 * of raw rows at each end: its cost does not grow with the probe rate or the window.
 */
export interface Scope {
  /** Cache key: `t:<target id>`, `p:<provider id>` or `m:<model id>`. */
  key: string;
  targetIds: readonly number[];
}

export interface ScopeWindow {
  total: Agg;
  byTarget: Map<number, Agg>;
  points: SeriesPoint[];
}

interface Part {
  byTarget: Map<number, Agg>;
  /** Per series bucket; a bucket may continue in another part. */
  byBucket: Map<number, Agg>;
  /** Finished series points, for parts no bucket crosses (whole hours). */
  points: Map<number, SeriesPoint>;
}

const emptyPart = (): Part => ({ byTarget: new Map(), byBucket: new Map(), points: new Map() });

function slot<K>(map: Map<K, Agg>, key: K): Agg {
  let agg = map.get(key);
  if (!agg) {
    agg = emptyAgg();
    map.set(key, agg);
  }
  return agg;
}

async function readRaw(db: Kysely<Database>, targetIds: readonly number[], [from, to]: Span) {
  return db
    .selectFrom('probe_results')
    .select(FACT_COLUMNS)
    .where('target_id', 'in', [...targetIds])
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .orderBy('id')
    .execute();
}

/** Per-target and per-series-bucket aggregates of some ranges, from rollups and raw rows. */
async function readRanges(db: Kysely<Database>, targetIds: readonly number[], ranges: readonly Span[], bucketMs: number): Promise<Part> {
  const part = emptyPart();
  if (targetIds.length === 0) return part;
  const add = (targetId: number, bucket: number, agg: Agg) => {
    mergeInto(slot(part.byTarget, targetId), agg);
    mergeInto(slot(part.byBucket, floorTo(bucket, bucketMs)), agg);
  };
  for (const [from, to] of ranges) {
    const plan = planSources(from, to, bucketMs >= HOUR);
    const levels: Array<[RollupTable, Span[]]> = [
      ['rollups_hour', plan.hour],
      ['rollups_minute', plan.minute],
    ];
    for (const [table, spans] of levels) {
      for (const span of spans) for (const row of await readRollups(db, table, targetIds, span)) add(row.target_id, Number(row.bucket), rowToAgg(row));
    }
    for (const span of plan.raw) {
      const edge = new Map<string, { targetId: number; bucket: number; agg: Agg }>();
      for (const row of await readRaw(db, targetIds, span)) {
        const facts = rowToFacts(row);
        const bucket = floorTo(facts.startedAt, bucketMs);
        const key = `${row.target_id}:${bucket}`;
        let entry = edge.get(key);
        if (!entry) edge.set(key, (entry = { targetId: row.target_id, bucket, agg: emptyAgg() }));
        addResult(entry.agg, facts);
      }
      for (const { targetId, bucket, agg } of edge.values()) add(targetId, bucket, agg);
    }
  }
  return part;
}

/**
 * Reads back, in one query, the snapshots rollups refer to by instant. Call it before
 * headlineOf() on aggregates built from rollup rows (rowToAgg), or `rate_limit.latest` is null.
 */
export async function resolveRateLimits(db: Kysely<Database>, aggs: Iterable<Agg>): Promise<void> {
  const pending = [...aggs].flatMap((agg) => (agg.rlLatest && agg.rlLatest.snapshot === undefined && agg.rlLatest.targetId !== undefined ? [agg.rlLatest] : []));
  const found = await findRateLimitsAt(db, pending.map((seen) => ({ targetId: seen.targetId!, at: seen.at })));
  for (const seen of pending) seen.snapshot = found.get(rateLimitKey(seen.targetId!, seen.at)) ?? null;
}

interface PartJson {
  targets: Array<[number, AggJson]>;
  buckets?: Array<[number, AggJson]>;
  points?: SeriesPoint[];
}

/**
 * A closed part from the cache, or read once and stored. Whole hours are kept as finished
 * series points (no series bucket crosses an hour); minute parts keep their buckets' aggregates,
 * since a 15-minute or hourly bucket may continue in the open part.
 */
async function closedPart(db: Kysely<Database>, scope: Scope, range: WindowRange, kind: 'hours' | 'minutes', spans: Span[], now: number): Promise<Part> {
  const key = kind === 'hours' ? range.name : `${range.name}:minutes`;
  const bounds: Span = [spans[0]![0], spans.at(-1)![1]];
  const cached = await loadSpan(db, scope.key, key, bounds);
  if (cached !== undefined) {
    const json = JSON.parse(cached) as PartJson;
    return {
      byTarget: new Map(json.targets.map(([id, agg]) => [id, aggFromJson(agg)])),
      byBucket: new Map((json.buckets ?? []).map(([start, agg]) => [start, aggFromJson(agg)])),
      points: new Map((json.points ?? []).map((point) => [Date.parse(point.start), point])),
    };
  }
  const part = await readRanges(db, scope.targetIds, spans, range.bucketMs);
  await resolveRateLimits(db, part.byTarget.values());
  const json: PartJson = { targets: [...part.byTarget].map(([id, agg]) => [id, aggToJson(agg)]) };
  if (kind === 'hours') {
    for (const start of seriesStarts({ from: bounds[0], to: bounds[1], bucketMs: range.bucketMs })) part.points.set(start, seriesPointOf(start, part.byBucket.get(start) ?? emptyAgg()));
    part.byBucket.clear();
    json.points = [...part.points.values()];
  } else {
    json.buckets = [...part.byBucket].map(([start, agg]) => [start, aggToJson(agg)]);
  }
  await saveSpan(db, scope.key, key, bounds, JSON.stringify(json), now);
  return part;
}

/** Everything a metrics response needs for one scope and window. */
export async function readScopeWindow(db: Kysely<Database>, scope: Scope, range: WindowRange, now: number): Promise<ScopeWindow> {
  const plan = windowPlan(range, LATE_RESULT_GRACE_MS);
  const parts = [
    plan.hours ? await closedPart(db, scope, range, 'hours', [plan.hours], now) : emptyPart(),
    plan.minutes.length > 0 ? await closedPart(db, scope, range, 'minutes', plan.minutes, now) : emptyPart(),
    await readRanges(db, scope.targetIds, plan.open, range.bucketMs),
  ];
  const total = emptyAgg();
  const byTarget = new Map<number, Agg>();
  const byBucket = new Map<number, Agg>();
  const points = new Map<number, SeriesPoint>();
  for (const part of parts) {
    for (const [id, agg] of part.byTarget) {
      mergeInto(total, agg);
      mergeInto(slot(byTarget, id), agg);
    }
    for (const [start, agg] of part.byBucket) mergeInto(slot(byBucket, start), agg);
    for (const [start, point] of part.points) points.set(start, point);
  }
  await resolveRateLimits(db, [total, ...byTarget.values()]);
  return { total, byTarget, points: seriesStarts(range).map((start) => points.get(start) ?? seriesPointOf(start, byBucket.get(start) ?? emptyAgg())) };
}
