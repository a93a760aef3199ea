// Frozen once released. Per-node (and per-endpoint) poll problems that did not fail the whole
// cluster — a node answering 595/596 or malformed JSON — used to be logged and dropped, so the
// node looked healthy. One row per problem per cycle, pruned with poll_runs.
import type { Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('poll_errors')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('node', 'text')
    .addColumn('endpoint', 'text')
    .addColumn('path', 'text')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  // the pages read the last 24 h of all clusters, newest first
  await db.schema.createIndex('poll_errors_by_ts').on('poll_errors').column('ts').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('poll_errors').ifExists().execute();
}
