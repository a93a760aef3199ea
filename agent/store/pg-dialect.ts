// The PostgreSQL side of the store (issue 17 item 1): kysely's PostgresDialect over a `pg` pool.
// Values come back as the SQLite store returns them, so the repositories need no per-backend code:
// bigint (int8) and numeric as JS numbers (our integers are epoch seconds, bytes and counts, far
// below 2^53; numeric comes from `1.0 * a / b` in the views).
import type pg from 'pg';
import { PostgresAdapter, PostgresDialect, type Kysely } from 'kysely';

export interface PgConnectOptions {
  url: string;
  /** Overrides the URL's password (read from a file or a systemd credential, see load-database-password.ts). */
  password?: string;
  /** Connections in the pool; the agent's writes are sequential, the site build reads alongside. */
  max?: number;
  applicationName?: string;
  /**
   * Keep idle connections open instead of closing them after pg-pool's 10 s (they still do not
   * keep the process alive). For the store's pool: the agent's cycle stores on poolSize - 1
   * connections once an interval, and closed in between, each cycle opened them again (fork,
   * authentication, cold catalog caches) and parsed and planned its statements anew.
   */
  keepIdle?: boolean;
}

/**
 * The URL with `password` put in: node-postgres lets the connection string's fields override the
 * separate `password` option (even with none in the URL), so a password from a file goes here.
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/**
 * Marks a statement (its text starts with this comment) to be sent as a named prepared statement:
 * parsed and planned once per connection and shape instead of every time. For the statements the
 * agent runs every cycle per cluster (pg-snapshot-writer.ts), whose text repeats exactly.
 */
export const PREPARED = '/* pmi:prepared */ ';
export function createPgDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}

/** Whether `db` talks to PostgreSQL (the few places that must differ ask this). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Query parameters node-postgres reads as secrets (`?password=…` works like the user-info part). */
const SECRET_PARAMS = ['password', 'sslpassword', 'sslkey'];

/** The URL with its password replaced, in the user-info part and in the query, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of SECRET_PARAMS) if (u.searchParams.has(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}
