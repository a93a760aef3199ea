// The one place for SQLite-only code (issue 4 §6). Everything else goes through kysely so a
// PostgreSQL backend can follow. SQLite-only things, each because nothing portable does the job:
//  - pragmas (WAL, synchronous, busy_timeout, wal_autocheckpoint) — applyStorePragmas();
//  - hot bulk inserts through a cached better-sqlite3 prepared statement — bulkInsert(); on
//    PostgreSQL one unnest() statement per call, for any other dialect a chunked multi-row insert;
//  - `without rowid` tables and the views' `ts / 300 * 300` integer-division bucketing (PostgreSQL
//    integer division behaves the same; noted in db/README.md);
//  - online backup (scripts/db-snapshot.ts) and VACUUM INTO.
import type SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Kysely, type Transaction } from 'kysely';
import { isPostgres } from './pg-dialect.ts';
import { pgUnnestInsert } from './pg-unnest.ts';

// Table names are dynamic here, so the schema type cannot help: any is deliberate.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTransaction = Transaction<any>;

const handles = new WeakMap<AnyKysely, SqliteDatabase.Database>();
const statements = new WeakMap<SqliteDatabase.Database, Map<string, SqliteDatabase.Statement>>();

/** Remembers the better-sqlite3 handle behind a Kysely instance, enabling the fast insert path. */
export function registerSqlite(db: AnyKysely, sqlite: SqliteDatabase.Database): void {
  handles.set(db, sqlite);
}

/** The better-sqlite3 handle behind `db`, if it is one opened by openDatabase(). */
export function sqliteOf(db: AnyKysely): SqliteDatabase.Database | undefined {
  return handles.get(db);
}

export interface PragmaOptions {
  busyTimeoutMs: number;
  /** Page size of a NEW database file (ignored once the file has pages). */
  pageSize?: number;
  /** Page cache in KiB (resident memory of the agent; pages beyond it come from the kernel's page cache). */
  cacheKiB?: number;
  /** WAL pages after which SQLite checkpoints; larger = fewer rewrites of hot pages. */
  walAutocheckpointPages: number;
}

/**
 * The pragmas the store runs with, and why:
 * - journal_mode=WAL: readers (users' sqlite3 sessions, the site build) never block the writer.
 * - synchronous=NORMAL: in WAL mode this is still crash-consistent (a power cut may lose the last
 *   commits, never corrupt); it saves one fsync per transaction.
 * - busy_timeout: a writer waits for a reader's checkpoint lock instead of failing (SQLITE_BUSY).
 * - page_size 2048 (new files): the tier pages rewritten per series per rollup window and the tail
 *   pages rewritten every cycle cost half as much as with 4 KiB; measured −13 % bytes written at
 *   1,000 guests (scripts/bench/store.bench.ts) with no loss in query or ingest time.
 * - wal_autocheckpoint: 16,000 pages (32 MiB) so a page rewritten by many cycles (the tail leaf of a
 *   raw table, the clusters row) is copied into the database once per checkpoint, not every ~2 MiB
 *   (together with the page size: 458 → 342 MB written per day per 1,000 guests, measured).
 *   A reader holding an old snapshot only delays the checkpoint; the WAL then grows until it ends.
 * - journal_size_limit: truncate the WAL back to 64 MiB after a checkpoint that had to grow it.
 * - foreign_keys=ON: the few references (nodes/guests/storages → clusters) are enforced.
 * - cache_size: see STORE_CACHE_KIB (open-database.ts).
 */
export function applyStorePragmas(sqlite: SqliteDatabase.Database, opts: PragmaOptions): void {
  if (opts.pageSize) sqlite.pragma(`page_size = ${Math.trunc(opts.pageSize)}`);
  if (opts.cacheKiB) sqlite.pragma(`cache_size = -${Math.trunc(opts.cacheKiB)}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs)}`);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`wal_autocheckpoint = ${Math.trunc(opts.walAutocheckpointPages)}`);
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma('foreign_keys = ON');
}

type Db = AnyKysely | AnyTransaction;

/**
 * Inserts positional rows into `table(columns)` inside the caller's transaction `trx`.
 * With a registered better-sqlite3 handle it runs one cached prepared statement per row (about
 * 3× faster than building a multi-row statement); otherwise a chunked kysely insert.
 * `onConflict: 'ignore'` skips rows whose key exists (ON CONFLICT DO NOTHING, portable).
 */
export async function bulkInsert(
  db: AnyKysely,
  trx: Db,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
  opts: { onConflict?: 'ignore' } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const sqlite = sqliteOf(db);
  const tail = opts.onConflict === 'ignore' ? ' on conflict do nothing' : '';
  if (sqlite) {
    const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})${tail}`;
    const stmt = prepareCached(sqlite, text);
    let changes = 0;
    for (const row of rows) changes += stmt.run(row).changes;
    return changes;
  }
  if (isPostgres(db)) return pgUnnestInsert(trx, table, columns, rows, tail);
  const chunk = Math.max(1, Math.floor(30_000 / columns.length));
  let changes = 0;
  for (let i = 0; i < rows.length; i += chunk) {
    const values = rows.slice(i, i + chunk).map((r) => Object.fromEntries(columns.map((c, j) => [c, r[j]])));
    let q = trx.insertInto(table).values(values);
    if (opts.onConflict === 'ignore') q = q.onConflict((oc) => oc.doNothing());
    const res = await q.executeTakeFirst();
    changes += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return changes;
}

/** A prepared statement cached per connection (better-sqlite3 does not cache them itself). */
export function prepareCached(sqlite: SqliteDatabase.Database, text: string): SqliteDatabase.Statement {
  let map = statements.get(sqlite);
  if (!map) statements.set(sqlite, (map = new Map()));
  let stmt = map.get(text);
  if (!stmt) map.set(text, (stmt = sqlite.prepare(text)));
  return stmt;
}

/** Waits between attempts of a statement outside a transaction that found the database locked (~6 s in all). */
export const AUTOCOMMIT_BUSY_RETRY_MS = [25, 50, 100, 200, 400, 800, 1600, 3200] as const;

/**
 * kysely's SQLite dialect, except that ROLLBACK is skipped when SQLite already ended the
 * transaction itself: on SQLITE_FULL (and some I/O errors) SQLite rolls back on its own, kysely's
 * ROLLBACK then failed with "cannot rollback - no transaction is active", and that error replaced
 * the real one (issue 12 item 9). Now the caller sees SQLITE_FULL.
 */
export function createStoreDialect(sqlite: SqliteDatabase.Database, opts: { sleep?: (ms: number) => Promise<void>; busyRetryDelaysMs?: readonly number[] } = {}): SqliteDialect {
  const config = { database: sqlite };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const delays = opts.busyRetryDelaysMs ?? AUTOCOMMIT_BUSY_RETRY_MS;
  /**
   * A statement outside a transaction (the inbox's single updates, reads) that meets another
   * writer's lock is retried with async backoff: the event loop runs meanwhile (issue 12 item 9).
   * Inside a transaction the caller retries the whole transaction (write-queue.ts).
   */
  const retrying = <T>(run: () => Promise<T>): Promise<T> => {
    const go = async (i: number): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || sqlite.inTransaction || i >= delays.length) throw err;
        await sleep(delays[i]!);
        return go(i + 1);
      }
    };
    return go(0);
  };
  class StoreDriver extends SqliteDriver {
    override async acquireConnection(): Promise<DatabaseConnection> {
      const c = await super.acquireConnection();
      return { executeQuery: (q) => retrying(() => c.executeQuery(q)), streamQuery: (q, n) => c.streamQuery(q, n) };
    }
    override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
      if (!sqlite.inTransaction) return;
      await super.rollbackTransaction(connection);
    }
  }
  return new (class extends SqliteDialect {
    override createDriver() {
      return new StoreDriver(config);
    }
  })(config);
}
