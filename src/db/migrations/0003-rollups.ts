import { sql, type Kysely } from 'kysely';

/**
 * Minute and hour rollups per target, and a cache of merged closed hours per scope and window.
 *
 * Rollup rows are keyed (target_id, bucket) and stored WITHOUT ROWID: the key is the only way
 * they are read or pruned (per target, by bucket range), so a separate rowid b-tree and index
 * would only cost disk. Counts by outcome are plain columns (a zero costs one header byte).
 * Digests are the compact binary form of src/stats/digest-codec.ts.
 */
// Spelled out rather than imported from probe/types.ts: a migration must not change when the
// code does; a new error class gets its own migration.
const OUTCOME_COLUMNS = [
  'ok',
  'timeout',
  'network',
  'overloaded',
  'server_error',
  'bad_response',
  'rate_limited',
  'quota_exceeded',
  'auth_error',
  'client_error',
] as const;

async function createRollupTable(db: Kysely<any>, table: string): Promise<void> {
  let builder = db.schema
    .createTable(table)
    .addColumn('target_id', 'integer', (col) => col.notNull().references('targets.id'))
    .addColumn('bucket', 'bigint', (col) => col.notNull())
    .addColumn('probes', 'integer', (col) => col.notNull());
  for (const outcome of OUTCOME_COLUMNS) builder = builder.addColumn(outcome, 'integer', (col) => col.notNull().defaultTo(0));
  await builder
    .addColumn('latency_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('latency_sum', 'real', (col) => col.notNull().defaultTo(0))
    .addColumn('latency_max', 'real')
    .addColumn('latency_digest', 'blob')
    .addColumn('ttft_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('ttft_sum', 'real', (col) => col.notNull().defaultTo(0))
    .addColumn('ttft_max', 'real')
    .addColumn('ttft_digest', 'blob')
    .addColumn('rl_min_ratio', 'real')
    // The newest rate-limit snapshot's time only: the snapshot is read from its raw row.
    .addColumn('rl_latest_at', 'bigint')
    .addPrimaryKeyConstraint(`${table}_pk`, ['target_id', 'bucket'])
    .modifyEnd(sql`without rowid`)
    .execute();
}

export async function up(db: Kysely<any>): Promise<void> {
  await createRollupTable(db, 'rollups_minute');
  await createRollupTable(db, 'rollups_hour');
  // Closed hours of a window never change, so their merge is kept instead of redone per request.
  // One row per scope and window; a late result or a rebuild deletes the rows it makes stale.
  await db.schema
    .createTable('rollup_spans')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('window', 'text', (col) => col.notNull())
    .addColumn('span_start', 'bigint', (col) => col.notNull())
    .addColumn('span_end', 'bigint', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('rollup_spans_pk', ['scope', 'window'])
    .execute();
  await db.schema.createIndex('rollup_spans_end').on('rollup_spans').column('span_end').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['rollup_spans', 'rollups_hour', 'rollups_minute']) await db.schema.dropTable(table).execute();
}
