/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. guest_state: per cluster, its present guests as of its last cycle, packed
// as JSON objects of column arrays (issue 17 item 5): `latest` the fleet overview's columns,
// `inventory` the rest of the guests row. Only the PostgreSQL store writes and
// reads it (its twin, db/migrations/postgres/2026-12-07-0130-guest-state.ts, makes it UNLOGGED and
// says why); SQLite reads v_guest_latest through one prepared statement, which is cheap there, and
// keeps the table empty so that both backends have the same tables (db/README.md, "Reading the
// whole fleet").
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('guest_state')
    .addColumn('cluster_id', 'integer', (c) => c.primaryKey().references('clusters.id').onDelete('cascade'))
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('latest', 'text', (c) => c.notNull())
    .addColumn('inventory', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('guest_state').execute();
}
