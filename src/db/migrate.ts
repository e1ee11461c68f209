import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { AppError } from '../lib/errors.ts';
import { MIGRATIONS } from './migration-list.ts';

export interface MigrateReport {
  applied: string[];
  current: string | undefined;
}

const MIGRATION_TABLE = 'kysely_migration';

/**
 * Runs pending migrations. A database that has migrations this binary does not know was written
 * by a newer CapPulse: refuse it instead of guessing, because an older binary writing to a newer
 * schema is how data gets corrupted.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: ReadonlyArray<readonly [string, Migration]> = MIGRATIONS,
  version = 'this version',
): Promise<MigrateReport> {
  const known = new Set(migrations.map(([name]) => name));
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (tables.some((table) => table.name === MIGRATION_TABLE)) {
    const rows = await db.selectFrom(MIGRATION_TABLE).select('name').execute();
    const unknown = rows.map((row) => row.name as string).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new AppError(
        'database_too_new',
        `the database was written by a newer CapPulse (it has schema migration ${unknown.sort().at(-1)}, which CapPulse ${version} does not know). Upgrade CapPulse, or point --db at another file.`,
      );
    }
  }
  const provider: MigrationProvider = { getMigrations: async () => Object.fromEntries(migrations) };
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new AppError('internal_error', `database migration failed: ${(error as Error).message}`, { cause: error });
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: migrations.at(-1)?.[0] };
}
