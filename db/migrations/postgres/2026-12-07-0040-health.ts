/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// PostgreSQL twin of db/migrations/2026-12-07-0040-health.ts (issue 17 item 1). That migration is
// raw DDL, which the schema plugin (agent/store/pg-schema-plugin.ts) cannot see into, so its
// PostgreSQL version is derived here from the same frozen text, with every difference spelt out:
//  - column types `integer` → `bigint` and `real` → `double precision` (SQLite's are 64-bit);
//  - v_backup_guest: SQLite's group_concat(x, ',') is PostgreSQL's string_agg(x, ',').
// test/integration/store-pg-migrations.test.ts checks both schemas have the same tables, columns and views.
import { sql, type Kysely } from 'kysely';
import { TABLES, VIEWS, down } from '../2026-12-07-0040-health.ts';

/** One textual replacement that must match exactly once (so a changed source fails loudly here). */
function replaceOnce(text: string, from: string, to: string, what: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`postgres twin of 0040-health: expected one "${from}" in ${what}, found ${parts.length - 1}`);
  return parts.join(to);
}

export const PG_TABLES = TABLES.map((ddl) => ddl.replace(/\binteger\b/g, 'bigint').replace(/\breal\b/g, 'double precision'));

export const PG_VIEWS: Record<string, string> = {
  ...VIEWS,
  v_backup_guest: replaceOnce(VIEWS.v_backup_guest!, "group_concat(b.job_id, ',')", "string_agg(b.job_id, ',')", 'v_backup_guest'),
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const ddl of PG_TABLES) await sql.raw(ddl).execute(db);
  for (const [name, body] of Object.entries(PG_VIEWS)) await sql`create view ${sql.ref(name)} as ${sql.raw(body)}`.execute(db);
}

export { down };
