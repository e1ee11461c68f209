import type { Kysely } from 'kysely';

/**
 * The outbox's event rows. An event is written in the same transaction as the state change it
 * announces, and its body is serialized once here so every delivery attempt sends the same bytes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('provider_id', 'integer', (col) => col.references('providers.id'))
    .execute();
  await db.schema.createIndex('events_created').on('events').column('created_at').execute();
  await db.schema.createIndex('events_incident').on('events').column('incident_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('events').execute();
}
