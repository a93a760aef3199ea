// Frozen once released. Every table keys on the cluster (issue 17 item 1, the Citus clause): tasks
// were keyed by their UPID alone, poll_runs and poll_errors by a serial id alone. On PostgreSQL
// (the twin in postgres/) their primary keys become (cluster_id, upid) and (cluster_id, id), so
// a distributed PostgreSQL could spread them on cluster_id. On SQLite the tables stay as they are
// (a primary key cannot change without rebuilding a table the views read, and an integer primary
// key is what gives SQLite rows their id); tasks get a unique (cluster_id, upid) index so the
// store's one upsert of tasks names the same conflict target on both backends.
import type { Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('tasks_by_cluster_upid').on('tasks').columns(['cluster_id', 'upid']).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_by_cluster_upid').execute();
}
