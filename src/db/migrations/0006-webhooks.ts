import type { Kysely } from 'kysely';

/**
 * Webhook endpoints and the delivery side of the outbox. A delivery is one event for one
 * endpoint (unique together), so a fan-out repeated after a crash cannot send twice; its lease
 * columns let a worker claim it so a dead worker's claim expires and a stale one cannot mark it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    /** JSON array of event types. */
    .addColumn('events', 'text', (col) => col.notNull())
    /** 'config' endpoints take their secret from the running config, never from this table. */
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('secret', 'text')
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('failing_since', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('deliveries')
    // An increasing integer: the order of deliveries is the order of their events.
    .addColumn('seq', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('event_id', 'text', (col) => col.notNull().references('events.id'))
    .addColumn('endpoint_id', 'text', (col) => col.notNull().references('webhook_endpoints.id'))
    .addColumn('event_type', 'text', (col) => col.notNull())
    /** Updates of one incident go to one endpoint in order; null = unordered. */
    .addColumn('ordering_key', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    /** Attempts since the last (re)delivery request: indexes the retry schedule. */
    .addColumn('round_attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('lease_token', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_http_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('delivered_at', 'bigint')
    .addUniqueConstraint('deliveries_event_endpoint', ['event_id', 'endpoint_id'])
    .execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('deliveries_endpoint').on('deliveries').columns(['endpoint_id', 'status', 'seq']).execute();
  await db.schema.createIndex('deliveries_ordering').on('deliveries').columns(['endpoint_id', 'ordering_key', 'status', 'seq']).execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('delivery_id', 'text', (col) => col.notNull().references('deliveries.id'))
    .addColumn('attempt', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('duration_ms', 'real', (col) => col.notNull())
    .addColumn('http_status', 'integer')
    /** The first 1 KB of the response body. */
    .addColumn('response_excerpt', 'text')
    .addColumn('error', 'text')
    .addColumn('next_attempt_at', 'bigint')
    .execute();
  await db.schema.createIndex('delivery_attempts_delivery').on('delivery_attempts').columns(['delivery_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['delivery_attempts', 'deliveries', 'webhook_endpoints']) await db.schema.dropTable(table).execute();
}
