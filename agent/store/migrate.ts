import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { migrations as bundledMigrations } from '../../db/migrations/index.ts';
import { postgresTwins } from '../../db/migrations/postgres/index.ts';
import { isPostgres } from './pg-dialect.ts';
import { PgSchemaPlugin } from './pg-schema-plugin.ts';

/** The migrations directory (only for tests that load another directory; the agent uses the index). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations/', import.meta.url));

/** Loads the date-prefixed migration files in db/migrations, in name order. */
export class DirectoryMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{4}-\d{2}-\d{2}-.*\.ts$/.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const f of files) {
      out[f.replace(/\.ts$/, '')] = (await import(pathToFileURL(join(this.dir, f)).href)) as Migration;
    }
    return out;
  }
}

/**
 * The migrations listed in db/migrations/index.ts: statically imported, so they work the same under
 * tsx and in the built application (dist/, where they are .js files the directory loader skips).
 */
export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly list: Readonly<Record<string, Migration>> = bundledMigrations) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...this.list });
  }
}

/** On PostgreSQL, each migration with a twin in db/migrations/postgres/ runs as that twin. */
class PostgresTwinProvider implements MigrationProvider {
  constructor(private readonly inner: MigrationProvider) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const list = await this.inner.getMigrations();
    for (const name of Object.keys(list)) if (postgresTwins[name]) list[name] = postgresTwins[name];
    return list;
  }
}

/** The index by default; a directory when one is given. */
function providerFor(dir: string | undefined): MigrationProvider {
  return dir === undefined ? new StaticMigrationProvider() : new DirectoryMigrationProvider(dir);
}

/**
 * The Kysely instance and provider migrations run with: on PostgreSQL through the schema plugin
 * (types, identity, partitions: pg-schema-plugin.ts) and with the PostgreSQL twins.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function migratorFor(db: Kysely<any>, dir: string | undefined): Migrator {
  if (!isPostgres(db)) return new Migrator({ db, provider: providerFor(dir) });
  return new Migrator({ db: db.withPlugin(new PgSchemaPlugin()), provider: new PostgresTwinProvider(providerFor(dir)) });
}

/** Applies every pending migration; throws with the failing migration's name on error. */
// Migrations run against Kysely<any> on purpose: they must not depend on today's row types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>, dir?: string): Promise<string[]> {
  const migrator = migratorFor(db, dir);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies migrations up to and including `name` (tests build databases of an older schema). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateTo(db: Kysely<any>, name: string, dir?: string): Promise<void> {
  const migrator = migratorFor(db, dir);
  const { error } = await migrator.migrateTo(name);
  if (error) throw new Error(`database migration to ${name} failed`, { cause: error });
}
