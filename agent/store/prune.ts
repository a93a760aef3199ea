// Retention: bounded deletes so no call stalls a poll cycle.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { ROLLUPS, type RollupKind, type Tier } from './rollup.ts';

type Db = Kysely<Database>;

/**
 * Deletes raw rows older than `before`, oldest first, at most `maxSpanSeconds` of time per call.
 * Raw tables are time-major, so this removes whole leading pages: cheap and sequential. Nothing
 * happens until `slackSeconds` of expired rows piled up, so the deletes come in few transactions.
 */
export async function pruneRaw(db: Db, kind: RollupKind, before: number, maxSpanSeconds: number, slackSeconds = 0): Promise<number> {
  const table = ROLLUPS[kind].raw;
  const { rows } = await sql<{ ts: number | null }>`select min(ts) as ts from ${sql.table(table)}`.execute(db);
  const oldest = rows[0]?.ts;
  if (oldest == null || oldest >= before - slackSeconds) return 0;
  const upTo = Math.min(before, oldest + maxSpanSeconds);
  const res = await sql`delete from ${sql.table(table)} where ts < ${upTo}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** The series keys of a kind (guests, nodes, storages), in key order, after `cursor`. */
export async function seriesKeys(db: Db, kind: RollupKind, after: string | undefined, limit: number): Promise<Array<Record<string, string | number>>> {
  const keys = ROLLUPS[kind].keys;
  const table = kind === 'guest' ? 'guests' : kind === 'node' ? 'nodes' : 'storages';
  const afterValues = after === undefined ? undefined : (JSON.parse(after) as Array<string | number>);
  // Row-value comparison `(a, b) > (x, y)` works on SQLite ≥ 3.15 and PostgreSQL.
  const where = afterValues
    ? sql`where (${sql.join(keys.map((k) => sql.ref(k)))}) > (${sql.join(afterValues)})`
    : sql``;
  const { rows } = await sql<Record<string, string | number>>`select ${sql.join(keys.map((k) => sql.ref(k)))}
    from ${sql.table(table)} ${where} order by ${sql.join(keys.map((k) => sql.ref(k)))} limit ${limit}`.execute(db);
  return rows;
}

/**
 * One step of a pruning pass over a guest-major tier table: deletes rows older than `before` for
 * up to `maxSeries` series after `cursor` (each delete is one index range). Returns the new cursor
 * (undefined when the pass is complete) and the rows deleted.
 */
export async function pruneTierStep(
  db: Db, kind: RollupKind, tier: Tier, before: number, cursor: string | undefined, maxSeries: number,
): Promise<{ cursor: string | undefined; deleted: number }> {
  const keys = ROLLUPS[kind].keys;
  const table = `${ROLLUPS[kind].raw}_${tier}`;
  const series = await seriesKeys(db, kind, cursor, maxSeries);
  let deleted = 0;
  for (const s of series) {
    const match = sql.join(keys.map((k) => sql`${sql.ref(k)} = ${s[k]}`), sql` and `);
    const res = await sql`delete from ${sql.table(table)} where ${match} and ts < ${before}`.execute(db);
    deleted += Number(res.numAffectedRows ?? 0);
  }
  const last = series.at(-1);
  const next = series.length < maxSeries || !last ? undefined : JSON.stringify(keys.map((k) => last[k]));
  return { cursor: next, deleted };
}

/** Deletes up to `limit` rows of a small time-keyed table older than `before`. */
export async function pruneSmall(db: Db, table: 'poll_runs' | 'tasks' | 'guest_status_changes', before: number, limit: number): Promise<number> {
  const res =
    table === 'poll_runs'
      // by the whole key (cluster_id first on PostgreSQL, migration 0105): a lookup per row, not a scan
      ? await sql`delete from poll_runs where (cluster_id, id) in (select cluster_id, id from poll_runs where started_at < ${before} order by id limit ${limit})`.execute(db)
      : table === 'tasks'
        ? await sql`delete from tasks where (cluster_id, upid) in (select cluster_id, upid from tasks where starttime < ${before} limit ${limit})`.execute(db)
        : await sql`delete from guest_status_changes where (cluster_id, vmid, ts) in
            (select cluster_id, vmid, ts from guest_status_changes where ts < ${before} limit ${limit})`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}
