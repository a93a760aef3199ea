// Frozen once released. Several agents on one database (issue 17 item 2): each agent says who it is
// (agents), clusters and the fleet's site are owned through leases (cluster_leases; the site's
// lease is the row named '*site', a name no cluster can have), every change of holder is kept
// (lease_history), and an action records which agent took it in (received_by: that agent writes
// the result file) and which one runs it (claimed_by: the holder of the guest's cluster).
// Times are epoch milliseconds (bigint): leases last seconds, so seconds would be too coarse.
// Only the schema builder: the same statements run on SQLite and PostgreSQL.
import type { Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_ms', 'bigint', (c) => c.notNull())
    .addColumn('seen_ms', 'bigint', (c) => c.notNull())
    .addColumn('stopped_ms', 'bigint')
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('lease_ms', 'integer', (c) => c.notNull())
    // JSON array of the cluster names in this agent's config
    .addColumn('clusters', 'text', (c) => c.notNull())
    .addColumn('publish_copy', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('cluster_leases')
    .addColumn('cluster', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_ms', 'bigint', (c) => c.notNull())
    .addColumn('renewed_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_ms', 'bigint', (c) => c.notNull())
    // set when the holder let go on purpose (a clean stop); expires_ms is then the same instant
    .addColumn('released_ms', 'bigint')
    .execute();
  await db.schema
    .createTable('lease_history')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('from_agent', 'text')
    .addColumn('to_agent', 'text')
    // acquired (nobody held it) | released (a clean stop) | handover (taken after a release) |
    // expired (taken from a silent holder) | forced (an agent alone on the database took it from another id)
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lease_history_pk', ['cluster', 'at_ms', 'reason'])
    .execute();
  await db.schema.createIndex('lease_history_by_time').on('lease_history').column('at_ms').execute();
  await db.schema.alterTable('actions').addColumn('received_by', 'text').execute();
  await db.schema.alterTable('actions').addColumn('claimed_by', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').dropColumn('claimed_by').execute();
  await db.schema.alterTable('actions').dropColumn('received_by').execute();
  await db.schema.dropTable('lease_history').ifExists().execute();
  await db.schema.dropTable('cluster_leases').ifExists().execute();
  await db.schema.dropTable('agents').ifExists().execute();
}
