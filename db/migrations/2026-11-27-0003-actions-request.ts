// Frozen once released. Extra columns the inbox needs to rebuild a result file after a crash:
// the original request text, when the file was claimed, and the result file written.
import type { Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').addColumn('request_json', 'text').execute();
  await db.schema.alterTable('actions').addColumn('claimed_at', 'integer').execute();
  await db.schema.alterTable('actions').addColumn('result_file', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').dropColumn('result_file').execute();
  await db.schema.alterTable('actions').dropColumn('claimed_at').execute();
  await db.schema.alterTable('actions').dropColumn('request_json').execute();
}
