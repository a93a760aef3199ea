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
  /** SQLite's page cache in KiB (default STORE_CACHE_KIB). */
  cacheKiB?: number;
  migrate?: boolean;
}

/**
 * SQLite's page cache of the agent's connection: 16 MiB (#13). It is resident memory of the agent
 * (all of it once the database is larger, i.e. always in production); 64 MiB made it the largest
 * part of the agent's memory outside the V8 heap. Hot pages beyond it are re-read from the
 * kernel's page cache, not the disk: the ingest cycle at 10,000 guests measured the same CPU with
 * 64 and 16 MiB (8 MiB: slower), see scripts/bench/cache-size-micro.ts and db/README.md.
 * 4 MiB (rss4, 2026-12-08, agent bench at 10,000 guests, one run against two at 16 MiB): glibc's
 * main heap at the sampled peak 41–44 MB instead of 53–56 MB and the same CPU per cycle, but the
 * peak RSS was 226.5 against 225.3 / 226.1 MB (V8's heap peak moves more than that from run to run)
 * and what it costs the site's full build was not measured: not taken yet.
 */
export const STORE_CACHE_KIB = 16_384;

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
    cacheKiB: opts.cacheKiB ?? STORE_CACHE_KIB,
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
