import { sql, type Kysely, type Transaction } from 'kysely';
import { isPostgres } from './pg-dialect.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The id of a configured cluster, or undefined when it was never seen. */
export async function getClusterId(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('clusters').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id;
}

/** The id of a configured cluster, creating its row (first_seen = now, epoch s) if needed. */
export async function ensureCluster(db: Db, name: string, now: number): Promise<number> {
  await db
    .insertInto('clusters')
    .values({ name, first_seen: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const id = await getClusterId(db, name);
  if (id === undefined) throw new Error(`cluster row "${name}" vanished right after insert`);
  return id;
}

/** One poll of one cluster, as the poller reports it (PollResult plus its start time). */
export interface PollRunRecord {
  cluster: string;
  /** Epoch seconds the poll started (or pass it as writePollRun's third argument). */
  startedAt?: number;
  durationMs: number;
  requests: number;
  errors: number;
  endpoint: string | null | undefined;
  ok: boolean;
  error?: { code: string; message: string } | string | null;
}

/** The run's error as stored in poll_runs.error and clusters.last_error. */
export function pollRunError(run: PollRunRecord): string | null {
  return run.error == null ? null : typeof run.error === 'string' ? run.error : `${run.error.code}: ${run.error.message}`;
}

/**
 * Records one poll run and keeps the cluster row's last_poll_at / last_error (and last_ok_at on
 * success) current — also when the poll failed and no snapshot was written.
 */
export async function writePollRun(db: Kysely<Database>, run: PollRunRecord, startedAtSec?: number): Promise<void> {
  const startedAt = startedAtSec ?? run.startedAt;
  if (startedAt === undefined) throw new Error('writePollRun needs the start time (startedAt or startedAtSec)');
  const error = pollRunError(run);
  if (isPostgres(db)) return writePollRunStatement(db, run, startedAt, error);
  await db.transaction().execute(async (trx) => {
    const clusterId = await ensureCluster(trx, run.cluster, startedAt);
    await trx
      .insertInto('poll_runs')
      .values({
        cluster_id: clusterId,
        started_at: startedAt,
        duration_ms: Math.round(run.durationMs),
        requests: run.requests,
        errors: run.errors,
        endpoint: run.endpoint ?? null,
        ok: run.ok ? 1 : 0,
        error,
      })
      .execute();
    await trx
      .updateTable('clusters')
      .set(
        run.ok
          ? { last_poll_at: startedAt, last_ok_at: startedAt, last_error: null }
          : { last_poll_at: startedAt, last_error: error },
      )
      .where('id', '=', clusterId)
      .execute();
  });
}

/**
 * PostgreSQL (#17 item 5): the same as one statement — the cluster row upserted with the run's
 * outcome and the poll_runs row inserted from its id — one round trip instead of six.
 */
async function writePollRunStatement(db: Kysely<Database>, run: PollRunRecord, startedAt: number, error: string | null): Promise<void> {
  const ok = run.ok ? 1 : 0;
  await sql`with c as (
      insert into clusters (name, first_seen, last_poll_at, last_ok_at, last_error)
      values (${run.cluster}, ${startedAt}, ${startedAt}, ${run.ok ? startedAt : null}, ${error})
      on conflict (name) do update set last_poll_at = excluded.last_poll_at, last_error = excluded.last_error,
        last_ok_at = case when ${ok} = 1 then excluded.last_poll_at else clusters.last_ok_at end
      returning id
    )
    insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, endpoint, ok, error)
    select id, ${startedAt}, ${Math.round(run.durationMs)}, ${run.requests}, ${run.errors}, ${run.endpoint ?? null}, ${ok}, ${error} from c`.execute(db);
}
