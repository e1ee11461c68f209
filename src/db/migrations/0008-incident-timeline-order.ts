import type { Kysely } from 'kysely';

/**
 * The timeline is read a page at a time in (created_at, id) order: with the incident in front,
 * this index serves each page as a range scan of `limit` rows however long a flapping incident's
 * timeline grows. It replaces (incident_id, id), whose only reader was the old unbounded read.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('incident_updates_incident_at').on('incident_updates').columns(['incident_id', 'created_at', 'id']).execute();
  await db.schema.dropIndex('incident_updates_incident').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('incident_updates_incident').on('incident_updates').columns(['incident_id', 'id']).execute();
  await db.schema.dropIndex('incident_updates_incident_at').execute();
}
