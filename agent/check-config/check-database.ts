// check-config's look at the `database` section (issue 17): absent → the SQLite file (checked with
// the paths); set → the password loads, the server answers, its version is one the store runs on,
// and how far its schema is migrated (the agent migrates at start). Read-only: nothing is created.
import pg from 'pg';
import type { Config } from '../config/config.schema.ts';
import { loadDatabasePassword } from '../config/load-database-password.ts';
import { errorMessage } from '../errors.ts';
import { redactUrl, withPassword } from '../store/pg-dialect.ts';
import { migrations } from '../../db/migrations/index.ts';
import type { Finding } from './permission-findings.ts';

/** Declarative partitioning with a DEFAULT partition and identity columns need PostgreSQL 11; 13 is the oldest still supported upstream. */
export const MIN_PG_MAJOR = 13;

export async function checkDatabase(config: Pick<Config, 'database'>, credentialsDir?: string): Promise<Finding[]> {
  const db = config.database;
  if (!db) return [];
  const where = redactUrl(db.url);
  let password: string | undefined;
  try {
    password = loadDatabasePassword(db, credentialsDir);
  } catch (err) {
    return [{ level: 'error', message: `database: ${errorMessage(err)}` }];
  }
  const client = new pg.Client({ connectionString: withPassword(db.url, password), connectionTimeoutMillis: 10_000, application_name: 'pmi-agent check-config' });
  try {
    await client.connect();
  } catch (err) {
    return [{ level: 'error', message: `database: cannot connect to ${where}: ${errorMessage(err)}` }];
  }
  try {
    const findings: Finding[] = [];
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    const major = Math.floor(Number(rows[0]?.v ?? 0) / 10_000);
    findings.push(major >= MIN_PG_MAJOR
      ? { level: 'ok', message: `database: PostgreSQL ${major} at ${where} answers` }
      : { level: 'error', message: `database: ${where} is PostgreSQL ${major}; the store needs ${MIN_PG_MAJOR} or newer` });
    const known = Object.keys(migrations).length;
    const { rows: t } = await client.query<{ ok: boolean }>("select to_regclass('kysely_migration') is not null as ok");
    const applied = t[0]?.ok ? Number((await client.query<{ n: string }>('select count(*) as n from kysely_migration')).rows[0]?.n ?? 0) : 0;
    findings.push(applied >= known
      ? { level: 'ok', message: `database: schema up to date (${applied} migrations)` }
      : { level: 'ok', message: `database: ${known - applied} of ${known} migrations still to apply; the agent applies them at start` });
    return findings;
  } catch (err) {
    return [{ level: 'error', message: `database: ${where}: ${errorMessage(err)}` }];
  } finally {
    await client.end().catch(() => undefined);
  }
}
