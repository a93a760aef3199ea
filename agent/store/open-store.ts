// Chooses the store from the config (issue 17 item 1): the SQLite file at paths.database by
// default, PostgreSQL when `database.url` is set. Both give a Kysely<Database> with every
// migration applied; `kind` says which, for the few features that differ (see UNSUPPORTED_ON_POSTGRES).
import { Kysely } from 'kysely';
import type pg from 'pg';
import type { DatabaseConfig } from '../config/database-config.schema.ts';
import { loadDatabasePassword } from '../config/load-database-password.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrate.ts';
import { openDatabase, type OpenOptions, type Store } from './open-database.ts';
import { createPgDialect, redactUrl } from './pg-dialect.ts';
import { AHEAD_SECONDS, ensurePartitions } from './pg-partitions.ts';

export interface SqliteStore extends Store {
  kind: 'sqlite';
}

export interface PgStore {
  kind: 'postgres';
  db: Kysely<Database>;
  pool: pg.Pool;
  /** The URL without its password, for messages. */
  url: string;
  /** A new connection outside the pool, with the store's settings and type parsers (the alert rules' reader). */
  connectClient(): pg.Client;
  /**
   * leases (#17): kysely on a connection of its own (a pool of one, opened at its first query) for
   * the lease keeper, so that a renewal never queues behind the site build's or the store stage's
   * queries, which may hold every connection of the pool at once.
   */
  leaseDb: Kysely<Database>;
  close(): Promise<void>;
}

export type AnyStore = SqliteStore | PgStore;

export interface StoreConfig {
  paths: { database: string };
  database?: DatabaseConfig | undefined;
}

export interface OpenStoreOptions extends OpenOptions {
  /** `$CREDENTIALS_DIRECTORY`, for database.passwordCredential. */
  credentialsDir?: string;
  /** Clock for the partitions created at open (tests). */
  now?: () => number;
  /** Hands the database password (from a file, a credential or the URL) to the log masker; keys start with "*" (no cluster name can). */
  registerSecret?: (key: string, secret: string) => void;
}

/** Opens the configured store and applies pending migrations. */
export async function openStore(config: StoreConfig, opts: OpenStoreOptions = {}): Promise<AnyStore> {
  if (!config.database) return { ...(await openDatabase(config.paths.database, opts)), kind: 'sqlite' };
  return openPgStore(config.database, opts);
}

export async function openPgStore(cfg: Pick<DatabaseConfig, 'url' | 'passwordFile' | 'passwordCredential'> & { poolSize?: number }, opts: OpenStoreOptions = {}): Promise<PgStore> {
  const password = loadDatabasePassword(cfg, opts.credentialsDir);
  if (password !== undefined) opts.registerSecret?.('*database', password);
  const inUrl = urlPassword(cfg.url);
  if (inUrl) opts.registerSecret?.('*database-url', inUrl);
  const { createPgClient, createPgPool } = await import('./pg-pool.ts');
  const pool = createPgPool({ url: cfg.url, ...(password !== undefined && { password }), max: cfg.poolSize ?? 4, keepIdle: true });
  const db = new Kysely<Database>({ dialect: createPgDialect(pool) });
  const url = redactUrl(cfg.url);
  try {
    await pool.query('select 1');
  } catch (err) {
    await db.destroy();
    throw new PmiError('CONFIG_INVALID', `database.url: cannot connect to ${url}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    if (opts.migrate !== false) {
      await migrateToLatest(db);
      const nowSec = Math.floor((opts.now?.() ?? Date.now()) / 1000);
      // the partitions a fresh agent writes into (backfill reaches back a day at most), and a week ahead
      await ensurePartitions(db, nowSec - 2 * 86_400, nowSec + AHEAD_SECONDS);
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const connectClient = () => createPgClient({ url: cfg.url, password, applicationName: 'pmi-agent rules' });
  const leaseDb = new Kysely<Database>({ dialect: createPgDialect(createPgPool({ url: cfg.url, ...(password !== undefined && { password }), max: 1, applicationName: 'pmi-agent leases' })) });
  return { kind: 'postgres', db, pool, url, connectClient, leaseDb, close: async () => void (await Promise.all([db.destroy(), leaseDb.destroy()])) };
}

/** The password a URL carries itself (user-info part or `?password=`), for the log masker. */
function urlPassword(url: string): string | undefined {
  try {
    const u = new URL(url);
    return (u.password ? decodeURIComponent(u.password) : undefined) ?? u.searchParams.get('password') ?? undefined;
  } catch {
    return undefined;
  }
}
