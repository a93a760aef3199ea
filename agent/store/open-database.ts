import SqliteDatabase from 'better-sqlite3';
import { Kysely } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrate.ts';
import { applyStorePragmas, createStoreDialect, registerSqlite } from './sqlite-dialect.ts';
import { BUSY_TIMEOUT_MS } from './write-queue.ts';

export interface Store {
  db: Kysely<Database>;
  /** The raw better-sqlite3 handle, for the few SQLite-only things (pragmas, backup). */
  sqlite: SqliteDatabase.Database;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Milliseconds a statement waits for a lock before SQLITE_BUSY. better-sqlite3 waits
   * synchronously (the event loop stands still), so it is short; write-queue.ts retries with
   * async backoff instead.
   */
  busyTimeoutMs?: number;
  /** WAL size in pages that triggers a checkpoint (see applyStorePragmas). */
  walAutocheckpointPages?: number;
  /** Page size for a new file (see db/README.md "Write volume" for why the default). */
  pageSize?: number;
  cacheKiB?: number;
  migrate?: boolean;
}

/**
 * Opens (creating if needed) the database file in WAL mode and runs pending migrations.
 * WAL lets users' readers run alongside the agent; the busy timeout covers checkpoints.
 */
export async function openDatabase(file: string, opts: OpenOptions = {}): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  applyStorePragmas(sqlite, {
    // migrations run before anything else is started: a longer wait costs nobody anything
    busyTimeoutMs: 5000,
    walAutocheckpointPages: opts.walAutocheckpointPages ?? 16_000,
    pageSize: opts.pageSize ?? 2048,
    cacheKiB: opts.cacheKiB ?? 65_536,
  });
  const db = new Kysely<Database>({ dialect: createStoreDialect(sqlite) });
  registerSqlite(db, sqlite);
  if (opts.migrate !== false) await migrateToLatest(db);
  sqlite.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS)}`);
  return {
    db,
    sqlite,
    async close() {
      await db.destroy();
    },
  };
}
