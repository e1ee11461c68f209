import type { Kysely } from 'kysely';

/** Providers, models, targets and raw probe results: the source of truth within retention. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('providers')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('base_url', 'text', (col) => col.notNull())
    .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('models')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('targets')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('provider_id', 'integer', (col) => col.notNull().references('providers.id'))
    .addColumn('model_id', 'integer', (col) => col.notNull().references('models.id'))
    .addColumn('provider_model_id', 'text', (col) => col.notNull())
    .addColumn('schedule', 'text', (col) => col.notNull())
    .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('targets_provider_model', ['provider_id', 'model_id'])
    .execute();

  await db.schema
    .createTable('probe_results')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('target_id', 'integer', (col) => col.notNull().references('targets.id'))
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('ok', 'integer', (col) => col.notNull())
    .addColumn('error_class', 'text')
    .addColumn('http_status', 'integer')
    .addColumn('latency_ms', 'real')
    .addColumn('ttft_ms', 'real')
    .addColumn('ttfb_ms', 'real')
    .addColumn('output_tokens', 'integer')
    .addColumn('request_id', 'text')
    .addColumn('rate_limit', 'text')
    .addColumn('error_message', 'text')
    .execute();
  await db.schema.createIndex('probe_results_target_time').on('probe_results').columns(['target_id', 'started_at']).execute();
  await db.schema.createIndex('probe_results_time').on('probe_results').column('started_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['probe_results', 'targets', 'models', 'providers']) await db.schema.dropTable(table).execute();
}
