// Both store backends for the store tests (issue 17 item 3): `describe.each(STORE_BACKENDS)` and
// openTestStore(backend) give a migrated store — a fresh SQLite file, or a fresh database on the
// run's throw-away PostgreSQL server (test/support/pg-global.ts) — and drop it at close().
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from './pg-server.ts';
import { openStore, openPgStore, type AnyStore } from '../../agent/store/open-store.ts';
import type { OpenStoreOptions } from '../../agent/store/open-store.ts';

export type Backend = 'sqlite' | 'postgres';
export const STORE_BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** The run's PostgreSQL server URL (superuser), or a clear error why there is none. */
export function pgAdminUrl(): string {
  const url = process.env.PMI_TEST_PG_URL;
  if (!url) throw new Error(process.env.PMI_TEST_PG_MISSING ?? 'PMI_TEST_PG_URL is not set: run the tests through vitest.config.ts (globalSetup test/support/pg-global.ts)');
  return url;
}

let counter = 0;
/** A fresh database on the run's server (a copy of the migrated template when there is one); returns its URL and a drop(). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = pgAdminUrl();
  const name = `pmi_t_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  const url = await createDatabase(admin, name, process.env.PMI_TEST_PG_TEMPLATE);
  return {
    url,
    name,
    async drop() {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      try {
        await d.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await d.end();
      }
    },
  };
}

export type TestStore = AnyStore & { backend: Backend; /** SQLite file or PostgreSQL URL */ location: string };

/** A migrated store of `backend`, removed by its close(). */
export async function openTestStore(backend: Backend, opts: OpenStoreOptions = {}): Promise<TestStore> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-store-'));
    const file = join(dir, 'pmi.sqlite');
    const store = await openStore({ paths: { database: file } }, opts);
    return Object.assign(store, {
      backend, location: file,
      close: async () => {
        await store.db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  const tdb = await createTestDatabase();
  const store = await openPgStore({ url: tdb.url }, opts);
  return Object.assign(store, {
    backend, location: tdb.url,
    close: async () => {
      await store.db.destroy();
      await tdb.drop();
    },
  });
}

/**
 * Runs SQL text with `?` placeholders on either backend (tests' assertions): better-sqlite3 on
 * SQLite, the pool with `$n` placeholders on PostgreSQL. Counts and integers come back as numbers on both.
 */
export async function rawQuery<T = Record<string, unknown>>(store: AnyStore, text: string, params: unknown[] = []): Promise<T[]> {
  if (store.kind === 'sqlite') {
    const stmt = store.sqlite.prepare(text);
    return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
  }
  let i = 0;
  const res = await store.pool.query(text.replace(/\?/g, () => `$${++i}`), params);
  return res.rows as T[];
}
