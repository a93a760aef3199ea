// Frozen once released. PostgreSQL twin of ../2026-12-07-0105-cluster-keys.ts: the primary keys
// of tasks, poll_runs and poll_errors gain cluster_id (in front), so every table a distributed
// PostgreSQL would spread keys on the cluster (db/README.md). Rows are kept: the old keys were
// unique, so the new ones are too. The identity columns keep numbering as before. poll_runs gets
// an index on started_at: its pruning looked rows up by the id key, which is now (cluster_id, id),
// and found the expired ones by walking that key.
import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

const NEW_KEYS: ReadonlyArray<[table: string, columns: string[], old: string[]]> = [
  ['tasks', ['cluster_id', 'upid'], ['upid']],
  ['poll_runs', ['cluster_id', 'id'], ['id']],
  ['poll_errors', ['cluster_id', 'id'], ['id']],
];

/** Replaces `table`'s primary key (whatever its constraint is called) by one on `columns`. */
async function rekey(db: Kysely<any>, table: string, columns: string[]): Promise<void> {
  const { rows } = await sql<{ conname: string }>`select conname from pg_constraint
    where conrelid = ${table}::regclass and contype = 'p'`.execute(db);
  const drop = rows[0] ? sql`drop constraint ${sql.id(rows[0].conname)}, ` : sql``;
  await sql`alter table ${sql.table(table)} ${drop}add constraint ${sql.id(`${table}_pkey`)} primary key (${sql.join(columns.map((c) => sql.id(c)))})`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, columns] of NEW_KEYS) await rekey(db, table, columns);
  await db.schema.createIndex('poll_runs_by_start').on('poll_runs').column('started_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('poll_runs_by_start').execute();
  for (const [table, , old] of NEW_KEYS) await rekey(db, table, old);
}
