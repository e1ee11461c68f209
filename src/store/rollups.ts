import type { CompiledQuery, Insertable, Kysely, Selectable } from 'kysely';
import type { Database, RollupsTable } from '../db/schema.ts';
import { addResult, emptyAgg, emptyCounts, OUTCOMES, statsDigest, type Agg, type ResultFacts, type ValueStats } from '../stats/aggregate.ts';
import { decodeDigest, encodeDigest } from '../stats/digest-codec.ts';
import { DAY, floorTo, HOUR, MINUTE, type Span } from '../stats/windows.ts';
import type { StoreTx } from './compiled-once.ts';

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
const HOUR_LEVEL = ROLLUP_LEVELS.findIndex((level) => level.size === HOUR);

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

/** Every column, in the order the precompiled upsert binds them (and aggToValues lists them). */
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

/** A bucket's values in ROLLUP_COLUMNS order: what the precompiled upsert binds, built without a row object. */
export function aggToValues(targetId: number, bucket: number, agg: Agg): Array<number | Buffer | null> {
  const values: Array<number | Buffer | null> = [targetId, bucket, agg.probes];
  for (const outcome of OUTCOMES) values.push(agg.counts[outcome]);
  values.push(agg.latency.count, agg.latency.sum, agg.latency.max, blob(agg.latency));
  values.push(agg.ttft.count, agg.ttft.sum, agg.ttft.max, blob(agg.ttft));
  values.push(agg.rlMinRatio, agg.rlLatest?.at ?? null);
  return values;
}

export function aggToRow(targetId: number, bucket: number, agg: Agg): Insertable<RollupsTable> {
  const values = aggToValues(targetId, bucket, agg);
  return Object.fromEntries(ROLLUP_COLUMNS.map((column, i) => [column, values[i]])) as unknown as Insertable<RollupsTable>;
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
   * the result's transaction, synchronously (see StoreTx).
   */
  apply(tx: StoreTx, targetId: number, result: ResultFacts): void;
  /** The transaction an `apply` for this target ran in rolled back: drop what it kept. */
  forget(targetId: number): void;
  /** How many targets have buckets kept (for tests: the map must not outgrow the targets in use). */
  keptTargets(): number;
  /** Writes whole rows (a rebuild), replacing any with the same (target, bucket). */
  write(trx: Kysely<Database>, table: RollupTable, rows: readonly Insertable<RollupsTable>[]): Promise<void>;
}

/** What a bucket row holds that tells one version of it from another, read without its digests. */
type RowMark = Pick<RollupRow, 'probes' | 'latency_sum' | 'ttft_sum'>;

interface Compiled {
  select: CompiledQuery<RollupRow>;
  mark: CompiledQuery<RowMark>;
  upsert: CompiledQuery;
}

/** The bucket an apply last wrote for a target at one level, as written. */
interface Kept {
  bucket: number;
  agg: Agg;
}

const sameMark = (agg: Agg, mark: RowMark | undefined) =>
  mark !== undefined && mark.probes === agg.probes && mark.latency_sum === agg.latency.sum && mark.ttft_sum === agg.ttft.sum;

/**
 * Runs on every result, so its statements are compiled by kysely once (with the dialect of the
 * first transaction) and then only rebound: building and compiling a 25-column upsert cost more
 * than SQLite took to run it (measured in scripts/bench/metrics.ts).
 *
 * Each target's current minute and hour are kept as last written, so the next result in the
 * same bucket does not read the row and decode its digests again: that read-modify-write
 * allocated more per probe than anything else the pipeline did, and allocation is what sets off
 * the collections that pause the probes' event loop (scripts/bench/prober.ts). Whether the row is
 * still the one written is checked on every apply, from its counts and sums without the digests
 * (digests encode losslessly, so the kept one is what a read would decode); any other writer (a
 * rebuild, retention, a second process) makes that check fail and the row is read again.
 */
export function createRollupWriter(): RollupWriter {
  let compiled: Record<RollupTable, Compiled> | undefined;
  const compile = (trx: Kysely<Database>): Record<RollupTable, Compiled> => {
    const template = aggToRow(0, 0, emptyAgg());
    const level = (table: RollupTable) => ({
      select: trx.selectFrom(table).selectAll().where('target_id', '=', 0).where('bucket', '=', 0).compile(),
      mark: trx.selectFrom(table).select(['probes', 'latency_sum', 'ttft_sum']).where('target_id', '=', 0).where('bucket', '=', 0).compile(),
      upsert: upsertQuery(trx, table, [template]).compile(),
    });
    return { rollups_minute: level('rollups_minute'), rollups_hour: level('rollups_hour') };
  };
  const kept = new Map<number, Kept[]>();
  // A kept bucket only saves a read while results still land in it. Once an hour, targets whose
  // newest kept hour is over an hour old (removed by a reload, or probed less than hourly) are
  // dropped, so the map holds the targets in use, not every target the process ever stored.
  let sweptHour = -Infinity;
  const sweep = (hour: number) => {
    sweptHour = hour;
    for (const [targetId, levels] of kept) if ((levels[HOUR_LEVEL]?.bucket ?? -Infinity) < hour - HOUR) kept.delete(targetId);
  };
  return {
    async write(trx, table, rows) {
      compiled ??= compile(trx);
      for (const row of rows) await trx.executeQuery({ ...compiled[table].upsert, parameters: ROLLUP_COLUMNS.map((column) => row[column]) });
    },
    apply(tx, targetId, result) {
      compiled ??= compile(tx.kysely);
      const hour = floorTo(result.startedAt, HOUR);
      // Late results (a slow probe) land in older hours; one a day older means the clock went back.
      if (hour > sweptHour || hour < sweptHour - DAY) sweep(hour);
      let levels = kept.get(targetId);
      if (levels === undefined) kept.set(targetId, (levels = []));
      ROLLUP_LEVELS.forEach(({ table, size }, level) => {
        const statements = compiled![table];
        const bucket = floorTo(result.startedAt, size);
        const last = levels[level];
        let agg: Agg;
        if (last !== undefined && last.bucket === bucket && sameMark(last.agg, tx.run(statements.mark, [targetId, bucket])[0])) agg = last.agg;
        else {
          const [row] = tx.run(statements.select, [targetId, bucket]);
          agg = row ? rowToAgg(row) : emptyAgg();
        }
        addResult(agg, result);
        tx.run(statements.upsert, aggToValues(targetId, bucket, agg));
        // A late result (a slow probe ending after younger ones) can land in an older bucket:
        // keep the newest, which is where the next results go.
        if (last === undefined || bucket >= last.bucket) levels[level] = { bucket, agg };
      });
    },
    forget(targetId) {
      kept.delete(targetId);
    },
    keptTargets: () => kept.size,
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
