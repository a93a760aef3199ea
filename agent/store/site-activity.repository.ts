// Reads tasks, actions, poll runs and the agent's own state for the activity pages.
import type { Kysely, Selectable } from 'kysely';
import type { ActionsTable, Database, PollRunsTable, TasksTable } from './schema.ts';

// Row shapes are derived from the schema's table types, so a column change shows up here.
export type TaskRow = Omit<TasksTable, 'object_id'>;

export type ActionRow = Pick<Selectable<ActionsTable>, 'id' | 'cluster' | 'vmid' | 'action' | 'reason' | 'submitter' | 'state' | 'outcome' | 'upid' | 'error_code' | 'message' | 'received_at' | 'finished_at' | 'updated_at'>
  // issue 14 item 6 (pages): parameters and timings for the actions page
  & Partial<Pick<Selectable<ActionsTable>, 'params' | 'posted_at' | 'task_ended_at'>>;

export type PollRunRow = Omit<Selectable<PollRunsTable>, 'id'>;

const TASK_COLUMNS = ['upid', 'cluster_id', 'node', 'type', 'vmid', 'user', 'tokenid', 'starttime', 'endtime', 'status', 'ok'] as const;
const ACTION_COLUMNS = ['id', 'cluster', 'vmid', 'action', 'reason', 'submitter', 'state', 'outcome', 'upid', 'error_code', 'message', 'received_at', 'finished_at', 'updated_at', 'params', 'posted_at', 'task_ended_at'] as const;

/** Tasks started since `since` (newest first, at most `limit`). */
export async function queryRecentTasks(db: Kysely<Database>, since: number, limit: number): Promise<TaskRow[]> {
  return db.selectFrom('tasks').select(TASK_COLUMNS).where('starttime', '>=', since).orderBy('starttime', 'desc').limit(limit).execute();
}

/** Actions received or updated since `since`, plus every one not finished (the queue). */
export async function queryActions(db: Kysely<Database>, since: number, limit: number): Promise<ActionRow[]> {
  return db
    .selectFrom('actions')
    .select(ACTION_COLUMNS)
    .where((eb) => eb.or([eb('updated_at', '>=', since), eb('outcome', 'is', null)]))
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}

/** Tasks and actions of the guests in one bucket (cluster, vmid range), newest first. */
export async function queryBucketActivity(
  db: Kysely<Database>,
  cluster: { id: number; name: string },
  lo: number,
  hi: number,
  since: number,
): Promise<{ tasks: TaskRow[]; actions: ActionRow[] }> {
  const tasks = await db
    .selectFrom('tasks')
    .select(TASK_COLUMNS)
    .where('cluster_id', '=', cluster.id)
    .where('vmid', '>=', lo)
    .where('vmid', '<=', hi)
    .where('starttime', '>=', since)
    .orderBy('starttime', 'desc')
    .execute();
  const actions = await db
    .selectFrom('actions')
    .select(ACTION_COLUMNS)
    .where('cluster', '=', cluster.name)
    .where('vmid', '>=', lo)
    .where('vmid', '<=', hi)
    .where('received_at', '>=', since)
    .orderBy('received_at', 'desc')
    .execute();
  return { tasks, actions };
}

/** The last `perCluster` poll runs of every cluster, newest first. */
export async function queryPollRuns(db: Kysely<Database>, since: number): Promise<PollRunRow[]> {
  return db
    .selectFrom('poll_runs')
    .select(['cluster_id', 'started_at', 'duration_ms', 'requests', 'errors', 'endpoint', 'ok', 'error'])
    .where('started_at', '>=', since)
    .orderBy('started_at', 'desc')
    .limit(2000)
    .execute();
}

/** Values of agent_state keys starting with `prefix`. */
export async function queryAgentState(db: Kysely<Database>, prefix: string): Promise<Map<string, { value: string; updated_at: number }>> {
  const rows = await db.selectFrom('agent_state').select(['key', 'value', 'updated_at']).where('key', 'like', `${prefix}%`).execute();
  return new Map(rows.map((r) => [r.key, { value: r.value, updated_at: r.updated_at }]));
}

/** Upserts one agent_state key. */
export async function writeAgentState(db: Kysely<Database>, key: string, value: string, now: number): Promise<void> {
  await db
    .insertInto('agent_state')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}
