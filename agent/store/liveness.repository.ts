// The one read the health check makes: when did a cluster last answer a poll (clusters.last_ok_at,
// epoch seconds). Opened read-only with its own short-lived handle, so the probe never migrates,
// locks or writes the database the running agent owns.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../config/database-config.schema.ts';
import { loadDatabasePassword } from '../config/load-database-password.ts';
import { withPassword } from './pg-dialect.ts';

/** Newest last_ok_at over all clusters; undefined when no poll ever succeeded. Throws when the file is missing. */
export function readLastGoodPollSec(file: string): number | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const row = db.prepare('select max(last_ok_at) as t from clusters').get() as { t: number | null } | undefined;
    return row?.t ?? undefined;
  } finally {
    db.close();
  }
}

/** The same read on PostgreSQL (#17): a short-lived connection, no migration, nothing written. */
export async function readLastGoodPollSecPg(cfg: DatabaseConfig, credentialsDir?: string): Promise<number | undefined> {
  const password = loadDatabasePassword(cfg, credentialsDir);
  const client = new pg.Client({ connectionString: withPassword(cfg.url, password), application_name: 'pmi-agent health', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>('select max(last_ok_at) as t from clusters');
    return rows[0]?.t == null ? undefined : Number(rows[0].t);
  } finally {
    await client.end();
  }
}
