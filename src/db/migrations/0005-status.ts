import type { Kysely } from 'kysely';

/**
 * Current status per target and per provider (with what the hysteresis must remember), and
 * incidents with their timeline. Causes are JSON so a timeline entry explains itself.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('target_status')
    .addColumn('target_id', 'integer', (col) => col.primaryKey().references('targets.id'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('since', 'bigint', (col) => col.notNull())
    .addColumn('cause', 'text')
    .addColumn('clear_evaluations', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('maintenance', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('evaluated_at', 'bigint', (col) => col.notNull())
    .addColumn('baseline_p95_ms', 'real')
    .addColumn('baseline_at', 'bigint')
    .execute();

  await db.schema
    .createTable('provider_status')
    .addColumn('provider_id', 'integer', (col) => col.primaryKey().references('providers.id'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('since', 'bigint', (col) => col.notNull())
    .addColumn('maintenance', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('evaluated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('provider_id', 'integer', (col) => col.notNull().references('providers.id'))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('severity', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('affected_models', 'text', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('cause', 'text', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('resolved_at', 'bigint')
    .execute();
  await db.schema.createIndex('incidents_provider_status').on('incidents').columns(['provider_id', 'status']).execute();
  await db.schema.createIndex('incidents_started').on('incidents').columns(['started_at', 'id']).execute();

  // Every model an incident ever affected, so `?model=` finds it after the model recovered.
  await db.schema
    .createTable('incident_models')
    .addColumn('incident_id', 'text', (col) => col.notNull().references('incidents.id'))
    .addColumn('model_slug', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('incident_models_pk', ['incident_id', 'model_slug'])
    .execute();
  await db.schema.createIndex('incident_models_model').on('incident_models').column('model_slug').execute();

  await db.schema
    .createTable('incident_updates')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('incident_id', 'text', (col) => col.notNull().references('incidents.id'))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('severity', 'text', (col) => col.notNull())
    .addColumn('affected_models', 'text', (col) => col.notNull())
    .addColumn('message', 'text', (col) => col.notNull())
    .addColumn('cause', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('incident_updates_incident').on('incident_updates').columns(['incident_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['incident_updates', 'incident_models', 'incidents', 'provider_status', 'target_status']) await db.schema.dropTable(table).execute();
}
