import type { CompiledQuery, Insertable, Kysely, Selectable } from 'kysely';
import type { Database, RollupsTable } from '../db/schema.ts';
import { addResult, emptyAgg, emptyCounts, OUTCOMES, statsDigest, type Agg, type Outcome, type ResultFacts, type ValueStats } from '../stats/aggregate.ts';
import { decodeDigest, encodeDigest } from '../stats/digest-codec.ts';
import { floorTo, HOUR, MINUTE, type Span } from '../stats/windows.ts';

/**
 * Minute and hour rollups: derived from probe_results, updated in the result's own transaction
 * so a committed result is always in its buckets, and rebuilt from raw rows by
 * `cappulse rollups rebuild` (store/rollups-rebuild.ts), which gives byte-identical rows.
 */
export type RollupTable = 'rollups_minute' | 'rollups_hour';
export const ROLLUP_LEVELS: ReadonlyArray<{ table: RollupTable; size: number }> = [
  { table: 'rollups_minute', size: MINUTE },
  { table: 'rollups_hour', size: HOUR },
];

export type RollupRow = Selectable<RollupsTable>;

function statsFromRow(count: number, sum: number, max: number | null, digest: Uint8Array | null): ValueStats {
  return { count, sum, max, own: decodeDigest(digest), parts: [] };
}

export function rowToAgg(row: RollupRow): Agg {
  const counts = emptyCounts();
  for (const outcome of OUTCOMES) counts[outcome] = row[outcome];
  return {
    probes: row.probes,
    counts,
    latency: statsFromRow(row.latency_count, row.latency_sum, row.latency_max, row.latency_digest),
    ttft: statsFromRow(row.ttft_count, row.ttft_sum, row.ttft_max, row.ttft_digest),
    rlMinRatio: row.rl_min_ratio,
    rlLatest: row.rl_latest_at === null ? null : { at: Number(row.rl_latest_at), targetId: row.target_id },
  };
}

/** better-sqlite3 binds a Buffer as a blob; a view over the same bytes costs no copy. */
function blob(stats: ValueStats): Buffer | null {
  if (stats.count === 0) return null;
  const bytes = encodeDigest(statsDigest(stats, true));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Every column, in the order the precompiled upsert binds them. */
export const ROLLUP_COLUMNS = [
  'target_id',
  'bucket',
  'probes',
  ...OUTCOMES,
  'latency_count',
  'latency_sum',
  'latency_max',
  'latency_digest',
  'ttft_count',
  'ttft_sum',
  'ttft_max',
  'ttft_digest',
  'rl_min_ratio',
  'rl_latest_at',
] as const satisfies ReadonlyArray<keyof RollupsTable>;

export function aggToRow(targetId: number, bucket: number, agg: Agg): Insertable<RollupsTable> {
  const counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, agg.counts[outcome]])) as Record<Outcome, number>;
  return {
    target_id: targetId,
    bucket,
    probes: agg.probes,
    ...counts,
    latency_count: agg.latency.count,
    latency_sum: agg.latency.sum,
    latency_max: agg.latency.max,
    latency_digest: blob(agg.latency),
    ttft_count: agg.ttft.count,
    ttft_sum: agg.ttft.sum,
    ttft_max: agg.ttft.max,
    ttft_digest: blob(agg.ttft),
    rl_min_ratio: agg.rlMinRatio,
    rl_latest_at: agg.rlLatest?.at ?? null,
  };
}

function upsertQuery(trx: Kysely<Database>, table: RollupTable, rows: readonly Insertable<RollupsTable>[]) {
  return trx
    .insertInto(table)
    .values([...rows])
    .onConflict((oc) =>
      oc.columns(['target_id', 'bucket']).doUpdateSet((eb) => Object.fromEntries(ROLLUP_COLUMNS.slice(2).map((column) => [column, eb.ref(`excluded.${column}`)]))),
    );
}

export interface RollupWriter {
  /**
   * The pipeline stage's work: fold one stored result into its minute and hour buckets. Runs in
   * the result's transaction and uses only `trx`.
   */
  apply(trx: Kysely<Database>, targetId: number, result: ResultFacts): Promise<void>;
  /** Writes whole rows (a rebuild), replacing any with the same (target, bucket). */
  write(trx: Kysely<Database>, table: RollupTable, rows: readonly Insertable<RollupsTable>[]): Promise<void>;
}

type Compiled = Record<RollupTable, { select: CompiledQuery<RollupRow>; upsert: CompiledQuery }>;

/**
 * Runs on every result, so its statements are compiled by kysely once (with the dialect of the
 * first transaction) and then only rebound: building and compiling a 25-column upsert cost more
 * than SQLite took to run it (measured in scripts/bench/metrics.ts).
 */
export function createRollupWriter(): RollupWriter {
  let compiled: Compiled | undefined;
  const compile = (trx: Kysely<Database>): Compiled => {
    const template = aggToRow(0, 0, emptyAgg());
    const level = (table: RollupTable) => ({
      select: trx.selectFrom(table).selectAll().where('target_id', '=', 0).where('bucket', '=', 0).compile(),
      upsert: upsertQuery(trx, table, [template]).compile(),
    });
    return { rollups_minute: level('rollups_minute'), rollups_hour: level('rollups_hour') };
  };
  const upsert = (trx: Kysely<Database>, table: RollupTable, row: Insertable<RollupsTable>) =>
    trx.executeQuery({ ...(compiled ??= compile(trx))[table].upsert, parameters: ROLLUP_COLUMNS.map((column) => row[column]) });
  return {
    async write(trx, table, rows) {
      for (const row of rows) await upsert(trx, table, row);
    },
    async apply(trx, targetId, result) {
      compiled ??= compile(trx);
      for (const { table, size } of ROLLUP_LEVELS) {
        const bucket = floorTo(result.startedAt, size);
        const { rows } = await trx.executeQuery<RollupRow>({ ...compiled[table].select, parameters: [targetId, bucket] });
        await upsert(trx, table, aggToRow(targetId, bucket, addResult(rows[0] ? rowToAgg(rows[0]) : emptyAgg(), result)));
      }
    },
  };
}

/** Rollup rows of the given targets with bucket in [from, to), in no particular order. */
export async function readRollups(db: Kysely<Database>, table: RollupTable, targetIds: readonly number[], [from, to]: Span): Promise<RollupRow[]> {
  if (targetIds.length === 0 || from >= to) return [];
  return db
    .selectFrom(table)
    .selectAll()
    .where('target_id', 'in', [...targetIds])
    .where('bucket', '>=', from)
    .where('bucket', '<', to)
    .execute();
}
