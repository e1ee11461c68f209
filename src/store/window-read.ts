import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { copyAgg, emptyAgg, mergeInto, statsDigest, type Agg } from '../stats/aggregate.ts';
import { seriesPointOf, type SeriesPoint } from '../stats/metrics-object.ts';
import { LATE_RESULT_GRACE_MS, MINUTE, seriesStarts, windowPlan, type Span, type WindowPlan, type WindowRange } from '../stats/windows.ts';
import { findRateLimitsAt, rateLimitKey } from './result-facts.ts';
import { readRollupsGeneration } from './rollup-generation.ts';
import { forgetMinutesBefore, readMinuteEdge, readMinutesSeen, rollupsFingerprints } from './rollup-reads.ts';
import type { WindowCache } from './window-cache.ts';
import { emptyPart, foldRaw, readRanges, readRawFacts, slot, storedSources, type Part, type RawFact, type Sources } from './window-sources.ts';

/**
 * Reads a window for a scope (one target, a provider's targets, a model's targets). Closed
 * time never changes, so with a WindowCache it is merged once and kept in memory: whole hours
 * until the window moves on by an hour, the other whole minutes until it moves on by a minute.
 * A request then checks the fingerprint of the rows under them and reads only the last few
 * minutes of minute rollups and the partial minute of raw rows at the end: its cost does not
 * grow with the probe rate or the window. Without a cache every part is read afresh.
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
function settleAgg(agg: Agg): void {
  statsDigest(agg.latency);
  statsDigest(agg.ttft);
}

/**
 * Merges a closed part. Whole hours become finished series points (no series bucket crosses an
 * hour); minute parts keep their buckets' aggregates, since a 15-minute or hourly bucket may
 * continue in the open part.
 */
async function mergeClosed(db: Kysely<Database>, targetIds: readonly number[], range: WindowRange, kind: 'hours' | 'minutes', spans: Span[]): Promise<Part> {
  if (spans.length === 0) return emptyPart();
  const part = await readRanges(targetIds, spans, range.bucketMs, storedSources(db, targetIds));
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

/** The window's closed time: what each request starts from. Read-only once built. */
interface Closed extends Part {
  total: Agg;
  /**
   * Raw results of the closed minute the window starts in, in id order: each request keeps the
   * ones at or after its own start. Absent without a cache (they are read with the window).
   */
  startMinute?: { span: Span; facts: RawFact[] };
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
  for (const agg of [closed.total, ...closed.byTarget.values(), ...closed.byBucket.values()]) settleAgg(agg);
  return closed;
}

/** The closed minute a window starts in, when it starts inside one (windowPlan's first open span). */
function startMinuteOf(range: WindowRange, plan: WindowPlan): Span | undefined {
  const first = plan.open[0]!;
  if (plan.open.length < 2 || first[0] !== range.from) return undefined;
  return [first[1] - MINUTE, first[1]];
}

/**
 * The closed time of a window, from the cache while the rollup rows under it are unchanged.
 * Whole hours are kept apart too: they are the costly merge, and they outlive the minutes (a
 * window moves its minutes every minute, its hours every hour). The fingerprints are read
 * before the merge they vouch for: a result committed in between makes the kept merge look
 * stale on the next read (one merge too many), never a stale merge look fresh.
 */
async function readClosed(db: Kysely<Database>, scope: Scope, range: WindowRange, plan: WindowPlan, cache: WindowCache | undefined): Promise<Closed> {
  const hours = plan.hours ? [plan.hours] : [];
  const merge = (kind: 'hours' | 'minutes', spans: Span[]) => mergeClosed(db, scope.targetIds, range, kind, spans);
  if (cache === undefined) return combine([await merge('hours', hours), await merge('minutes', plan.minutes)]);
  const start = startMinuteOf(range, plan);
  // The start minute's raw results are vouched for by its minute rollups: any result for it changes them.
  const minuteSpans = start ? [start, ...plan.minutes] : plan.minutes;
  const [hoursCount, minutesCount] = await rollupsFingerprints(db, cache, scope.targetIds, [hours, minuteSpans]);
  const hoursPrint = `${hours.join(';')}|${hoursCount}`;
  const closedPrint = `${hoursPrint}#${minuteSpans.join(';')}|${minutesCount}`;
  const key = `${scope.key}|${scope.targetIds.join(',')}|${range.name}`;
  const kept = cache.get<Closed>(`${key}|closed`, closedPrint);
  if (kept !== undefined) return kept;
  let hoursPart = cache.get<Part>(`${key}|hours`, hoursPrint);
  if (hoursPart === undefined) {
    hoursPart = await merge('hours', hours);
    cache.set(`${key}|hours`, hoursPrint, hoursPart);
  }
  const closed = combine([hoursPart, await merge('minutes', plan.minutes)]);
  if (start) closed.startMinute = { span: start, facts: await readRawFacts(db, scope.targetIds, start) };
  cache.set(`${key}|closed`, closedPrint, closed);
  return closed;
}

/**
 * Where the open part's rows come from with a cache: the start minute's results kept with the
 * closed merge, the open minutes' rollups decoded once, and the minute the window ends in from
 * its rollups when they hold exactly its results so far (else from the raw rows).
 */
function openSources(db: Kysely<Database>, scope: Scope, range: WindowRange, closed: Closed, cache: WindowCache): Sources {
  const stored = storedSources(db, scope.targetIds);
  const start = closed.startMinute;
  return {
    rollups: (table, span) => (table === 'rollups_minute' ? readMinutesSeen(db, cache, scope.targetIds, span) : stored.rollups(table, span)),
    async raw(span, bucketMs) {
      if (start && span[0] >= start.span[0] && span[1] <= start.span[1]) {
        return foldRaw(start.facts.filter(({ facts }) => facts.startedAt >= span[0] && facts.startedAt < span[1]), bucketMs);
      }
      const edge = span[1] === range.to ? await readMinuteEdge(db, cache, scope.targetIds, span) : undefined;
      return edge ?? stored.raw(span, bucketMs);
    },
  };
}

/**
 * Everything a metrics response needs for one scope and window. `now` is the window's end
 * (range.to); it is taken for the callers' symmetry with the other reads.
 */
export async function readScopeWindow(db: Kysely<Database>, scope: Scope, range: WindowRange, _now: number, cache?: WindowCache): Promise<ScopeWindow> {
  const plan = windowPlan(range, LATE_RESULT_GRACE_MS);
  if (cache) {
    cache.syncGeneration(await readRollupsGeneration(db));
    forgetMinutesBefore(cache.minutes, plan.open.at(-1)![0]);
  }
  const closed = await readClosed(db, scope, range, plan, cache);
  const open = await readRanges(scope.targetIds, plan.open, range.bucketMs, cache ? openSources(db, scope, range, closed, cache) : storedSources(db, scope.targetIds));
  // Each target's open pieces merged once: the target's summary and the total's both read them.
  for (const agg of open.byTarget.values()) settleAgg(agg);
  // The closed merge is shared by every request: each adds its open part to copies.
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
