import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { addResult, emptyAgg, mergeInto, type Agg, type ResultFacts } from '../stats/aggregate.ts';
import type { SeriesPoint } from '../stats/metrics-object.ts';
import { floorTo, HOUR, planSources, type Span } from '../stats/windows.ts';
import { FACT_COLUMNS, rowToFacts } from './result-facts.ts';
import { readRollups, rowToAgg, type RollupTable } from './rollups.ts';

/**
 * Folding ranges of a window into aggregates per target and per series bucket, from rollup rows
 * and raw results. Where the rows come from is a parameter (Sources), so a cached reader can
 * serve rows it already holds and the fold stays the same code, in the same order.
 */
export interface Part {
  byTarget: Map<number, Agg>;
  /** Per series bucket; a bucket may continue in another part. */
  byBucket: Map<number, Agg>;
  /** Finished series points, for parts no bucket crosses (whole hours). */
  points: Map<number, SeriesPoint>;
}

/** Aggregates of one rollup row, or of the raw results of one target in one series bucket. */
export interface Piece {
  targetId: number;
  bucket: number;
  agg: Agg;
}

export interface RawFact {
  targetId: number;
  facts: ResultFacts;
}

export interface Sources {
  /** Rollup rows of the scope's targets with bucket in the span. */
  rollups(table: RollupTable, span: Span): Promise<Piece[]>;
  /**
   * The scope's results started in the span (a part of one minute), folded per target and
   * series bucket in id (commit) order, pieces in the order of their first result.
   */
  raw(span: Span, bucketMs: number): Promise<Piece[]>;
}

export const emptyPart = (): Part => ({ byTarget: new Map(), byBucket: new Map(), points: new Map() });

export function slot<K>(map: Map<K, Agg>, key: K): Agg {
  let agg = map.get(key);
  if (!agg) {
    agg = emptyAgg();
    map.set(key, agg);
  }
  return agg;
}

export async function readRawFacts(db: Kysely<Database>, targetIds: readonly number[], [from, to]: Span): Promise<RawFact[]> {
  if (targetIds.length === 0 || from >= to) return [];
  const rows = await db
    .selectFrom('probe_results')
    .select(FACT_COLUMNS)
    .where('target_id', 'in', [...targetIds])
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ targetId: row.target_id, facts: rowToFacts(row) }));
}

/** Raw results folded per target and series bucket, as the rollup stage folds them: in id order. */
export function foldRaw(rows: readonly RawFact[], bucketMs: number): Piece[] {
  const pieces = new Map<string, Piece>();
  for (const { targetId, facts } of rows) {
    const bucket = floorTo(facts.startedAt, bucketMs);
    const key = `${targetId}:${bucket}`;
    let piece = pieces.get(key);
    if (!piece) pieces.set(key, (piece = { targetId, bucket, agg: emptyAgg() }));
    addResult(piece.agg, facts);
  }
  return [...pieces.values()];
}

export function storedSources(db: Kysely<Database>, targetIds: readonly number[]): Sources {
  return {
    rollups: async (table, span) => (await readRollups(db, table, targetIds, span)).map((row) => ({ targetId: row.target_id, bucket: Number(row.bucket), agg: rowToAgg(row) })),
    raw: async (span, bucketMs) => foldRaw(await readRawFacts(db, targetIds, span), bucketMs),
  };
}

/** Per-target and per-series-bucket aggregates of some ranges: rollups where whole, raw rows at the ragged minutes. */
export async function readRanges(targetIds: readonly number[], ranges: readonly Span[], bucketMs: number, sources: Sources): Promise<Part> {
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
      for (const span of spans) for (const piece of await sources.rollups(table, span)) add(piece);
    }
    for (const span of plan.raw) for (const piece of await sources.raw(span, bucketMs)) add(piece);
  }
  return part;
}
