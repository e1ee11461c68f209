import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { aggFromJson, aggToJson, type AggJson } from '../stats/agg-json.ts';
import { addResult, emptyAgg, mergeInto, type Agg } from '../stats/aggregate.ts';
import { seriesPointOf, type SeriesPoint } from '../stats/metrics-object.ts';
import { closedSpan, floorTo, HOUR, planSources, seriesStarts, type Span, type WindowRange } from '../stats/windows.ts';
import { FACT_COLUMNS, rowToFacts } from './result-facts.ts';
import { loadSpan, saveSpan } from './rollup-spans.ts';
import { readRollups, rowToAgg, type RollupTable } from './rollups.ts';

/**
 * Reads a window for a scope (one target, a provider's targets, a model's targets): the
 * closed hours from the cache (computed once from rollups, then reused), the rest from minute
 * and hour rollups, and only the ragged minutes at each end from raw rows.
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

/** How long after an hour ends a result for it may still arrive: the longest probe plus slack. */
export const LATE_RESULT_GRACE_MS = 5 * 60_000;

interface RangeData {
  byTarget: Map<number, Agg>;
  byBucket: Map<number, Agg>;
}

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

/** Per-target and per-series-bucket aggregates of [from, to). */
async function readRange(db: Kysely<Database>, targetIds: readonly number[], from: number, to: number, bucketMs: number): Promise<RangeData> {
  const data: RangeData = { byTarget: new Map(), byBucket: new Map() };
  if (targetIds.length === 0) return data;
  const plan = planSources(from, to, bucketMs >= HOUR);
  const add = (targetId: number, bucket: number, agg: Agg) => {
    mergeInto(slot(data.byTarget, targetId), agg);
    mergeInto(slot(data.byBucket, floorTo(bucket, bucketMs)), agg);
  };
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
  return data;
}

interface SpanJson {
  total: AggJson;
  targets: Array<[number, AggJson]>;
  points: SeriesPoint[];
}

/** The closed middle of a window, from the cache or computed once and stored. */
async function closedPart(db: Kysely<Database>, scope: Scope, range: WindowRange, span: Span, now: number): Promise<ScopeWindow> {
  const cached = await loadSpan(db, scope.key, range.name, span);
  if (cached !== undefined) {
    const json = JSON.parse(cached) as SpanJson;
    return { total: aggFromJson(json.total), byTarget: new Map(json.targets.map(([id, agg]) => [id, aggFromJson(agg)])), points: json.points };
  }
  const data = await readRange(db, scope.targetIds, span[0], span[1], range.bucketMs);
  const total = emptyAgg();
  for (const agg of data.byTarget.values()) mergeInto(total, agg);
  const points = seriesStarts({ from: span[0], to: span[1], bucketMs: range.bucketMs }).map((start) => seriesPointOf(start, data.byBucket.get(start) ?? emptyAgg()));
  const json: SpanJson = { total: aggToJson(total), targets: [...data.byTarget].map(([id, agg]) => [id, aggToJson(agg)]), points };
  await saveSpan(db, scope.key, range.name, span, JSON.stringify(json), now);
  return { total, byTarget: data.byTarget, points };
}

/** Everything a metrics response needs for one scope and window. */
export async function readScopeWindow(db: Kysely<Database>, scope: Scope, range: WindowRange, now: number): Promise<ScopeWindow> {
  const span = closedSpan(range, LATE_RESULT_GRACE_MS);
  const closed: ScopeWindow = span ? await closedPart(db, scope, range, span, now) : { total: emptyAgg(), byTarget: new Map(), points: [] };
  const open: RangeData = { byTarget: new Map(), byBucket: new Map() };
  const openSpans: Span[] = span ? [[range.from, span[0]], [span[1], range.to]] : [[range.from, range.to]];
  for (const [from, to] of openSpans) {
    if (from >= to) continue;
    const part = await readRange(db, scope.targetIds, from, to, range.bucketMs);
    for (const [id, agg] of part.byTarget) mergeInto(slot(open.byTarget, id), agg);
    for (const [bucket, agg] of part.byBucket) mergeInto(slot(open.byBucket, bucket), agg);
  }

  const total = closed.total;
  const byTarget = closed.byTarget;
  for (const [id, agg] of open.byTarget) {
    mergeInto(total, agg);
    mergeInto(slot(byTarget, id), agg);
  }
  const closedPoints = new Map(closed.points.map((point) => [Date.parse(point.start), point]));
  const points = seriesStarts(range).map((start) => closedPoints.get(start) ?? seriesPointOf(start, open.byBucket.get(start) ?? emptyAgg()));
  return { total, byTarget, points };
}
