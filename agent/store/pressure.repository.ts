// The latest PVE 9 pressure stall / ARC values per node and guest (issue 12 item 2). They come
// only from rrddata (backfill) and live in their own series-major tables (2026-12-07-0020).
import { sql, type Kysely } from 'kysely';
import type { Database, GuestPressureSamplesTable, NodePressureSamplesTable } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';

/** SQLite's CROSS JOIN … ON fixes the join order; PostgreSQL has no such form (and has statistics): a plain join there (#17). */
const orderedJoin = (db: Kysely<Database>) => (isPostgres(db) ? sql`join` : sql`cross join`);

export type NodePressureRow = NodePressureSamplesTable;
export type GuestPressureRow = GuestPressureSamplesTable & { memhost: number | null };

/** Each node's newest pressure/ARC row since `sinceTs`. */
export async function latestNodePressure(db: Kysely<Database>, sinceTs: number): Promise<NodePressureRow[]> {
  if (!(await db.selectFrom('node_pressure_samples').select('ts').where('ts', '>=', sinceTs).limit(1).executeTakeFirst())) return [];
  // one index seek per node (max(ts) on the key prefix), not a scan of a day of rows per node;
  // CROSS JOIN keeps SQLite from starting at the ts index instead (it has no statistics here)
  const r = await sql<NodePressureRow>`
    select p.* from nodes n
    ${orderedJoin(db)} node_pressure_samples p on p.cluster_id = n.cluster_id and p.node = n.node
     and p.ts = (select max(q.ts) from node_pressure_samples q where q.cluster_id = n.cluster_id and q.node = n.node)
    where p.ts >= ${sinceTs}`.execute(db);
  return r.rows;
}

/** Each guest's newest pressure row since `sinceTs`, with the host memory (QEMU) of that time. */
export async function latestGuestPressure(db: Kysely<Database>, sinceTs: number): Promise<GuestPressureRow[]> {
  // No guest has a row that recent (no PVE 9 cluster, no backfill): one seek on the ts index
  // instead of one probe per guest, every site build.
  if (!(await db.selectFrom('guest_pressure_samples').select('ts').where('ts', '>=', sinceTs).limit(1).executeTakeFirst())) return [];
  // one index seek per present guest (max(ts) on the key prefix): a day of backfill at 10,000
  // guests is 14 million rows, which a GROUP BY would scan at every site build (CROSS JOIN: as above)
  const r = await sql<GuestPressureRow>`
    select p.*, s.memhost from guests g
    ${orderedJoin(db)} guest_pressure_samples p on p.cluster_id = g.cluster_id and p.vmid = g.vmid
     and p.ts = (select max(q.ts) from guest_pressure_samples q where q.cluster_id = g.cluster_id and q.vmid = g.vmid)
    left join guest_samples s on s.ts = p.ts and s.cluster_id = p.cluster_id and s.vmid = p.vmid
    where g.removed_at is null and p.ts >= ${sinceTs}`.execute(db);
  return r.rows;
}

/** Deletes pressure rows older than `before` (kept as long as raw samples), at most `limit` per table. */
export async function prunePressure(db: Kysely<Database>, before: number, limit: number): Promise<number> {
  const g = await sql`delete from guest_pressure_samples where (cluster_id, vmid, ts) in
    (select cluster_id, vmid, ts from guest_pressure_samples where ts < ${before} limit ${limit})`.execute(db);
  const n = await sql`delete from node_pressure_samples where (cluster_id, node, ts) in
    (select cluster_id, node, ts from node_pressure_samples where ts < ${before} limit ${limit})`.execute(db);
  return Number(g.numAffectedRows ?? 0) + Number(n.numAffectedRows ?? 0);
}
