import type { Kysely } from 'kysely';

/**
 * rollup_spans held merged closed hours written by metrics reads. Reads now keep those merges in
 * memory (store/window-cache.ts), checked against the rollup rows, so nothing reads the table;
 * dropping it also retires the statement every late result ran to clear it. A CapPulse that
 * still reads it refuses this database (it is newer than its migrations).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rollup_spans').execute();
}

/** Recreates the table as 0003 made it (empty: its rows were only ever a cache). */
export async function down(db: Kysely<any>): Promise<void> {
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
