// db/migrations/index.ts is what the agent migrates with (under tsx and in the built dist/, whose
// migrations are .js files the directory loader does not list). A migration file missing from the index would never
// run in production: this fails first.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../db/migrations/index.ts';
import { DirectoryMigrationProvider, MIGRATIONS_DIR, StaticMigrationProvider } from '../../agent/store/migrate.ts';
import { openDatabase } from '../../agent/store/open-database.ts';

describe('db/migrations/index.ts', () => {
  it('lists exactly the migration files of db/migrations, in name order', () => {
    const files = readdirSync(join(import.meta.dirname, '../../db/migrations'))
      .filter((f) => /^\d{4}-\d{2}-\d{2}-.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
  });

  it('gives the same modules as loading the directory', async () => {
    const fromDir = await new DirectoryMigrationProvider(MIGRATIONS_DIR).getMigrations();
    const fromIndex = await new StaticMigrationProvider().getMigrations();
    expect(Object.keys(fromIndex)).toEqual(Object.keys(fromDir));
    for (const [name, m] of Object.entries(fromDir)) {
      expect(fromIndex[name]!.up, name).toBe(m.up);
      expect(fromIndex[name]!.down, name).toBe(m.down);
    }
  });

  it('is what openDatabase migrates with: every listed migration is recorded as applied', async () => {
    const store = await openDatabase(':memory:');
    try {
      const applied = (store.sqlite.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map((r) => r.name);
      expect(applied).toEqual(Object.keys(migrations));
    } finally {
      await store.close();
    }
  });
});
