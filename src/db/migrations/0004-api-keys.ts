import type { Kysely } from 'kysely';

/**
 * API keys and their monthly usage. Only the SHA-256 hash of a key is stored (unique, so the
 * guard finds a key in one indexed read); `prefix` is what listings show. `usage` holds one row per
 * key per calendar month, so a quota survives restarts and old months stay readable.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('prefix', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull().unique())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('rate_limit', 'integer')
    .addColumn('monthly_quota', 'integer')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_created').on('api_keys').columns(['created_at', 'id']).execute();
  await db.schema
    .createTable('usage')
    .addColumn('key_id', 'text', (col) => col.notNull().references('api_keys.id'))
    .addColumn('period_start', 'bigint', (col) => col.notNull())
    .addColumn('requests', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('usage_pk', ['key_id', 'period_start'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('usage').execute();
  await db.schema.dropTable('api_keys').execute();
}
