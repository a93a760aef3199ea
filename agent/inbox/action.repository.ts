// The actions table as the inbox uses it: one row per request id, its state machine and outcome.
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ActionsTable, Database } from '../store/schema.ts';

/**
 * Columns added by db/migrations/2026-11-27-0003-actions-request.ts. Kept here until STORE folds
 * them into agent/store/schema.ts.
 */
export interface ActionsExtra {
  request_json: string | null;
  claimed_at: number | null;
  result_file: string | null;
  submitter_uid: number | null;
  /** The id the submitter chose (db/migrations/2026-12-07-0010-actions-scoped-ids.ts); null for rows without a usable id. */
  request_id: string | null;
  /** leases (#17, migration 0095): the agent whose inbox took the file in, and the agent running it. */
  received_by: string | null;
  claimed_by: string | null;
}
export type InboxDatabase = Omit<Database, 'actions'> & { actions: ActionsTable & ActionsExtra };
export type ActionRow = Selectable<InboxDatabase['actions']>;

/** Views any Kysely<Database> with the inbox's extra action columns. */
export function inboxDb(db: Kysely<Database>): Kysely<InboxDatabase> {
  return db as unknown as Kysely<InboxDatabase>;
}

/** The row of an id, or undefined. */
export async function findAction(db: Kysely<InboxDatabase>, id: string): Promise<ActionRow | undefined> {
  return db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The row of a request id in one submitter's scope (ids are scoped per submitter), or undefined. */
export async function findRequest(db: Kysely<InboxDatabase>, submitterUid: number | null, requestId: string): Promise<ActionRow | undefined> {
  const q = db.selectFrom('actions').selectAll().where('request_id', '=', requestId);
  return (submitterUid === null ? q.where('submitter_uid', 'is', null) : q.where('submitter_uid', '=', submitterUid)).executeTakeFirst();
}

/** The row created for a claimed file (across restarts the cur/ name is stable), or undefined. */
export async function findByFile(db: Kysely<InboxDatabase>, curName: string, receivedBy?: string): Promise<ActionRow | undefined> {
  const q = db.selectFrom('actions').selectAll().where('file_name', '=', curName);
  // leases (#17): another agent's inbox may have a cur/ file of the same name
  return (receivedBy === undefined ? q : q.where('received_by', '=', receivedBy)).orderBy('received_at', 'desc').executeTakeFirst();
}

/** Inserts a new row; false when the id already exists (a concurrent duplicate). */
export async function insertAction(db: Kysely<InboxDatabase>, row: Insertable<InboxDatabase['actions']>): Promise<boolean> {
  const res = await db.insertInto('actions').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Replaces a failed row by a fresh one for a resubmitted id (failed ids may be dropped again). */
export async function replaceFailedAction(db: Kysely<InboxDatabase>, row: Insertable<InboxDatabase['actions']>): Promise<boolean> {
  const res = await db
    .updateTable('actions')
    .set({ ...row, attempts: 0, upid: null, exitstatus: null, error_code: null, message: null, verification: null, outcome: null, posted_at: null, task_ended_at: null, finished_at: null, result_file: null })
    .where('id', '=', row.id)
    .where('outcome', '=', 'failed')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Updates some columns of a row (updated_at included by the caller). */
export async function updateAction(db: Kysely<InboxDatabase>, id: string, patch: Updateable<InboxDatabase['actions']>): Promise<void> {
  await db.updateTable('actions').set(patch).where('id', '=', id).execute();
}

/** Marks a row 'posting' and counts the attempt, in one statement, BEFORE the POST is sent. */
export async function markPosting(db: Kysely<InboxDatabase>, id: string, node: string, nowSec: number): Promise<void> {
  await db
    .updateTable('actions')
    .set((eb) => ({ state: 'posting', node, attempts: eb('attempts', '+', 1), posted_at: nowSec, upid: null, updated_at: nowSec }))
    .where('id', '=', id)
    .execute();
}

/** Rows that have no outcome yet (to resume after a restart). */
export async function listUnfinished(db: Kysely<InboxDatabase>): Promise<ActionRow[]> {
  return db.selectFrom('actions').selectAll().where('state', 'in', ['queued', 'posting', 'running', 'verifying']).orderBy('received_at').execute();
}

export interface InventoryGuest {
  cluster: string;
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  tags: string | null;
  pool: string | null;
  hastate: string | null;
  template: number;
}

/** A guest of the inventory (guests table, not removed), or undefined. */
export async function findGuest(db: Kysely<InboxDatabase>, cluster: string, vmid: number): Promise<InventoryGuest | undefined> {
  return db
    .selectFrom('guests')
    .innerJoin('clusters', 'clusters.id', 'guests.cluster_id')
    .select(['clusters.name as cluster', 'guests.vmid', 'guests.type', 'guests.node', 'guests.tags', 'guests.pool', 'guests.hastate', 'guests.template'])
    .where('clusters.name', '=', cluster)
    .where('guests.vmid', '=', vmid)
    .where('guests.removed_at', 'is', null)
    .executeTakeFirst();
}
