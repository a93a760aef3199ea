// Frozen once released. Request ids are scoped per submitter (issue 11): nobody can squat another
// user's id. `request_id` is the id the submitter chose (the row id stays the primary key and is
// the request id unless another submitter already used it); a unique index over (submitter_uid,
// request_id) finds a duplicate in one lookup. `finished_at` is indexed for the retention prune.
import { sql, type Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').addColumn('request_id', 'text').execute();
  // Rows so far: the row id is the request id, except for rejections without a usable id ("_…").
  await sql`UPDATE actions SET request_id = id WHERE id NOT LIKE '\\_%' ESCAPE '\\'`.execute(db);
  await sql`CREATE UNIQUE INDEX actions_by_submitter_request ON actions (submitter_uid, request_id) WHERE request_id IS NOT NULL`.execute(db);
  await db.schema.createIndex('actions_by_finished').on('actions').column('finished_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('actions_by_finished').ifExists().execute();
  await db.schema.dropIndex('actions_by_submitter_request').ifExists().execute();
  await db.schema.alterTable('actions').dropColumn('request_id').execute();
}
