// Retention of the actions table (actions.retentionDays): finished rows older than the cut-off.
import type { Kysely } from 'kysely';
import type { InboxDatabase } from '../inbox/action.repository.ts';

/** Up to `limit` finished rows older than `beforeSec`: their id, result file and the agent whose inbox holds it (oldest first). */
export async function listExpiredActions(db: Kysely<InboxDatabase>, beforeSec: number, limit: number): Promise<Array<{ id: string; result_file: string | null; received_by: string | null }>> {
  return db
    .selectFrom('actions')
    .select(['id', 'result_file', 'received_by'])
    .where('finished_at', '<', beforeSec)
    .where('outcome', 'is not', null)
    .orderBy('finished_at')
    .limit(limit)
    .execute();
}

/** Deletes these rows (one statement; the caller keeps batches small). */
export async function deleteActions(db: Kysely<InboxDatabase>, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await db.deleteFrom('actions').where('id', 'in', ids).executeTakeFirst();
  return Number(res.numDeletedRows);
}
