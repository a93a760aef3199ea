// Frozen once released. Extra columns the inbox needs to rebuild a result file after a crash:
// the original request text, when the file was claimed, the result file written, and the uid
// of the file's owner (actions.submitter holds the user name).
import type { Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').addColumn('request_json', 'text').execute();
  await db.schema.alterTable('actions').addColumn('claimed_at', 'integer').execute();
  await db.schema.alterTable('actions').addColumn('result_file', 'text').execute();
  await db.schema.alterTable('actions').addColumn('submitter_uid', 'integer').execute();
  // Every claimed file is looked up by its cur/ name (to finish it after a crash).
  await db.schema.createIndex('actions_by_file').on('actions').column('file_name').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('actions_by_file').ifExists().execute();
  await db.schema.alterTable('actions').dropColumn('submitter_uid').execute();
  await db.schema.alterTable('actions').dropColumn('result_file').execute();
  await db.schema.alterTable('actions').dropColumn('claimed_at').execute();
  await db.schema.alterTable('actions').dropColumn('request_json').execute();
}
