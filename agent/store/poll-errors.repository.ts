// Per-node poll problems that did not fail the cluster (issue 12 item 3): a node answering 595/596
// or malformed JSON used to look healthy because these were logged and dropped.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { ensureCluster } from './cluster.repository.ts';

export interface PollErrorRecord {
  node: string | null;
  endpoint: string | null;
  path: string | null;
  code: string;
  message: string;
}

export interface PollErrorRow extends PollErrorRecord {
  cluster: string;
  cluster_id: number;
  ts: number;
}

/** Stores a cycle's problems for one cluster (ts = the cycle's start, epoch s). */
export async function writePollErrors(db: Kysely<Database>, cluster: string, ts: number, problems: readonly PollErrorRecord[]): Promise<number> {
  if (problems.length === 0) return 0;
  await db.transaction().execute(async (trx) => {
    const clusterId = await ensureCluster(trx, cluster, ts);
    await trx
      .insertInto('poll_errors')
      .values(problems.map((p) => ({ cluster_id: clusterId, ts, node: p.node, endpoint: p.endpoint, path: p.path, code: p.code, message: p.message.slice(0, 2000) })))
      .execute();
  });
  return problems.length;
}

/** Problems since `sinceTs`, newest first, at most `limit`, with the cluster's name. */
export async function recentPollErrors(db: Kysely<Database>, sinceTs: number, limit = 2000): Promise<PollErrorRow[]> {
  return db
    .selectFrom('poll_errors as e')
    .innerJoin('clusters as c', 'c.id', 'e.cluster_id')
    .select(['c.name as cluster', 'e.cluster_id', 'e.ts', 'e.node', 'e.endpoint', 'e.path', 'e.code', 'e.message'])
    .where('e.ts', '>=', sinceTs)
    .orderBy('e.ts', 'desc')
    .orderBy('e.id', 'desc')
    .limit(limit)
    .execute();
}

/** Deletes up to `limit` problems older than `before` (kept as long as poll_runs). */
export async function prunePollErrors(db: Kysely<Database>, before: number, limit: number): Promise<number> {
  // by the whole key (cluster_id first on PostgreSQL, migration 0105): a lookup per row, not a scan
  const res = await sql`delete from poll_errors where (cluster_id, id) in (select cluster_id, id from poll_errors where ts < ${before} limit ${limit})`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}
