import type { Kysely } from 'kysely';

/**
 * An endpoint's deliveries are listed a page at a time, newest first by seq. Without a status
 * filter, (endpoint_id, status, seq) cannot give that order, so SQLite sorted every delivery the
 * endpoint ever had to return each page. With (endpoint_id, seq) a page is a range scan of
 * `limit` rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('deliveries_endpoint_seq').on('deliveries').columns(['endpoint_id', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_endpoint_seq').execute();
}
