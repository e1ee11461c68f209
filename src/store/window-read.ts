import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { addResult, copyAgg, emptyAgg, mergeInto, statsDigest, type Agg } from '../stats/aggregate.ts';
import { seriesPointOf, type SeriesPoint } from '../stats/metrics-object.ts';
import { floorTo, HOUR, LATE_RESULT_GRACE_MS, planSources, seriesStarts, windowPlan, type Span, type WindowPlan, type WindowRange } from '../stats/windows.ts';
import { FACT_COLUMNS, findRateLimitsAt, rateLimitKey, rowToFacts } from './result-facts.ts';
import { forgetMinutesBefore, readMinutesSeen, rollupsFingerprint } from './rollup-reads.ts';
import { readRollups, rowToAgg, type RollupTable } from './rollups.ts';
import type { WindowCache } from './window-cache.ts';

/**
 * Reads a window for a scope (one target, a provider's targets, a model's targets). Closed
 * time never changes, so with a WindowCache it is merged once and kept in memory: whole hours
 * until the window moves on by an hour, the other whole minutes until it moves on by a minute.
 * A request then checks those two parts' fingerprints and reads only the last few minutes of
 * minute rollups and the partial minutes of raw rows at each end: its cost does not grow with
 * the probe rate or the window. Without a cache every part is read afresh.
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

/** Aggregates of one rollup row, or of the raw results of one target in one series bucket. */
interface Piece {
  targetId: number;
  bucket: number;
  agg: Agg;
}

type RollupSource = (table: RollupTable, span: Span) => Promise<Piece[]>;

const emptyPart = (): Part => ({ byTarget: new Map(), byBucket: new Map(), points: new Map() });

function slot<K>(map: Map<K, Agg>, key: K): Agg {
  let agg = map.get(key);
  if (!agg) {
    agg = emptyAgg();
    map.set(key, agg);
  }
  return agg;
}

const pieceOf = (row: Parameters<typeof rowToAgg>[0]): Piece => ({ targetId: row.target_id, bucket: Number(row.bucket), agg: rowToAgg(row) });

function storedRollups(db: Kysely<Database>, targetIds: readonly number[]): RollupSource {
  return async (table, span) => (await readRollups(db, table, targetIds, span)).map(pieceOf);
}

/** The open minutes through the cache's decoded rows; anything else as stored. */
function openRollups(db: Kysely<Database>, targetIds: readonly number[], cache: WindowCache): RollupSource {
  const stored = storedRollups(db, targetIds);
  return (table, span) => (table === 'rollups_minute' ? readMinutesSeen(db, targetIds, span, cache.minutes) : stored(table, span));
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
async function readRanges(db: Kysely<Database>, targetIds: readonly number[], ranges: readonly Span[], bucketMs: number, rollups: RollupSource): Promise<Part> {
  const part = emptyPart();
  if (targetIds.length === 0) return part;
  const add = ({ targetId, bucket, agg }: Piece) => {
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
      for (const span of spans) for (const piece of await rollups(table, span)) add(piece);
    }
    for (const span of plan.raw) {
      const edge = new Map<string, Piece>();
      for (const row of await readRaw(db, targetIds, span)) {
        const facts = rowToFacts(row);
        const bucket = floorTo(facts.startedAt, bucketMs);
        const key = `${row.target_id}:${bucket}`;
        let piece = edge.get(key);
        if (!piece) edge.set(key, (piece = { targetId: row.target_id, bucket, agg: emptyAgg() }));
        addResult(piece.agg, facts);
      }
      for (const piece of edge.values()) add(piece);
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

/** Digests compacted to what a stored rollup holds: a closed part is kept, so it is kept small. */
function compactAgg(agg: Agg): void {
  statsDigest(agg.latency, true);
  statsDigest(agg.ttft, true);
}

/** Merges what other parts added into one digest now, so later reads of `agg` only share it. */
function settleAgg(agg: Agg): Agg {
  statsDigest(agg.latency);
  statsDigest(agg.ttft);
  return agg;
}

/**
 * Merges a closed part. Whole hours become finished series points (no series bucket crosses an
 * hour); minute parts keep their buckets' aggregates, since a 15-minute or hourly bucket may
 * continue in the open part.
 */
async function mergeClosed(db: Kysely<Database>, targetIds: readonly number[], range: WindowRange, kind: 'hours' | 'minutes', spans: Span[]): Promise<Part> {
  const part = await readRanges(db, targetIds, spans, range.bucketMs, storedRollups(db, targetIds));
  await resolveRateLimits(db, part.byTarget.values());
  for (const agg of part.byTarget.values()) compactAgg(agg);
  if (kind === 'minutes') {
    for (const agg of part.byBucket.values()) compactAgg(agg);
    return part;
  }
  for (const start of seriesStarts({ from: spans[0]![0], to: spans.at(-1)![1], bucketMs: range.bucketMs })) {
    part.points.set(start, seriesPointOf(start, part.byBucket.get(start) ?? emptyAgg()));
  }
  part.byBucket.clear();
  return part;
}

/** The window's closed hours and minutes together: what each request starts from. Read-only once built. */
interface Closed extends Part {
  total: Agg;
}

/** Adds parts up in the order a request would, so sums come out bit for bit the same. */
function combine(parts: readonly Part[]): Closed {
  const closed: Closed = { total: emptyAgg(), byTarget: new Map(), byBucket: new Map(), points: new Map() };
  for (const part of parts) {
    for (const [id, agg] of part.byTarget) {
      mergeInto(closed.total, agg);
      mergeInto(slot(closed.byTarget, id), agg);
    }
    for (const [start, agg] of part.byBucket) mergeInto(slot(closed.byBucket, start), agg);
    for (const [start, point] of part.points) closed.points.set(start, point);
  }
  settleAgg(closed.total);
  for (const agg of closed.byTarget.values()) settleAgg(agg);
  for (const agg of closed.byBucket.values()) settleAgg(agg);
  return closed;
}

/**
 * The closed time of a window, from the cache while the rollup rows under it are unchanged.
 * Whole hours are kept apart too: they are the costly merge, and they outlive the minutes (a
 * window moves its minutes every minute, its hours every hour). A fingerprint is read before
 * the merge it vouches for: a result committed in between makes the kept merge look stale on
 * the next read (one merge too many), never a stale merge look fresh.
 */
async function readClosed(db: Kysely<Database>, scope: Scope, range: WindowRange, plan: WindowPlan, cache: WindowCache | undefined): Promise<Closed> {
  const hours = plan.hours ? [plan.hours] : [];
  const read = (kind: 'hours' | 'minutes', spans: Span[]) => (spans.length === 0 ? emptyPart() : mergeClosed(db, scope.targetIds, range, kind, spans));
  if (cache === undefined) return combine([await read('hours', hours), await read('minutes', plan.minutes)]);
  const fingerprint = async (spans: Span[]) => (spans.length === 0 ? '' : `${spans.join(';')}|${await rollupsFingerprint(db, scope.targetIds, spans)}`);
  const key = `${scope.key}|${scope.targetIds.join(',')}|${range.name}`;
  const hoursPrint = await fingerprint(hours);
  const closedPrint = `${hoursPrint}#${await fingerprint(plan.minutes)}`;
  const kept = cache.get<Closed>(`${key}|closed`, closedPrint);
  if (kept !== undefined) return kept;
  let hoursPart = cache.get<Part>(`${key}|hours`, hoursPrint);
  if (hoursPart === undefined) {
    hoursPart = await read('hours', hours);
    cache.set(`${key}|hours`, hoursPrint, hoursPart);
  }
  const closed = combine([hoursPart, await read('minutes', plan.minutes)]);
  cache.set(`${key}|closed`, closedPrint, closed);
  return closed;
}

/**
 * Everything a metrics response needs for one scope and window. `now` is the window's end
 * (range.to); it is taken for the callers' symmetry with the other reads.
 */
export async function readScopeWindow(db: Kysely<Database>, scope: Scope, range: WindowRange, _now: number, cache?: WindowCache): Promise<ScopeWindow> {
  const plan = windowPlan(range, LATE_RESULT_GRACE_MS);
  if (cache) forgetMinutesBefore(cache.minutes, plan.open.at(-1)![0]);
  const closed = await readClosed(db, scope, range, plan, cache);
  const open = await readRanges(db, scope.targetIds, plan.open, range.bucketMs, cache ? openRollups(db, scope.targetIds, cache) : storedRollups(db, scope.targetIds));
  // The closed merge is shared by every request: each adds its open minutes to copies.
  const total = copyAgg(closed.total);
  const byTarget = new Map<number, Agg>();
  for (const [id, agg] of closed.byTarget) byTarget.set(id, copyAgg(agg));
  for (const [id, agg] of open.byTarget) {
    mergeInto(total, agg);
    mergeInto(slot(byTarget, id), agg);
  }
  const byBucket = new Map(closed.byBucket);
  for (const [start, agg] of open.byBucket) {
    const before = byBucket.get(start);
    byBucket.set(start, mergeInto(before ? copyAgg(before) : emptyAgg(), agg));
  }
  await resolveRateLimits(db, [total, ...byTarget.values()]);
  return { total, byTarget, points: seriesStarts(range).map((start) => closed.points.get(start) ?? seriesPointOf(start, byBucket.get(start) ?? emptyAgg())) };
}
