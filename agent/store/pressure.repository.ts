// The latest PVE 9 pressure stall / ARC values per node and guest (issue 12 item 2). They come
// only from rrddata (backfill) and live in their own series-major tables (2026-12-07-0020).
import { sql, type Kysely } from 'kysely';
import type { Database, GuestPressureSamplesTable, NodePressureSamplesTable } from './schema.ts';

export type NodePressureRow = NodePressureSamplesTable;
export type GuestPressureRow = GuestPressureSamplesTable & { memhost: number | null };

/** Each node's newest pressure/ARC row since `sinceTs`. */
export async function latestNodePressure(db: Kysely<Database>, sinceTs: number): Promise<NodePressureRow[]> {
  const r = await sql<NodePressureRow>`
    select p.* from node_pressure_samples p
    join (select cluster_id, node, max(ts) as ts from node_pressure_samples where ts >= ${sinceTs} group by cluster_id, node) m
      on m.cluster_id = p.cluster_id and m.node = p.node and m.ts = p.ts`.execute(db);
  return r.rows;
}

/** Each guest's newest pressure row since `sinceTs`, with the host memory (QEMU) of that time. */
export async function latestGuestPressure(db: Kysely<Database>, sinceTs: number): Promise<GuestPressureRow[]> {
  const r = await sql<GuestPressureRow>`
    select p.*, s.memhost from guest_pressure_samples p
    join (select cluster_id, vmid, max(ts) as ts from guest_pressure_samples where ts >= ${sinceTs} group by cluster_id, vmid) m
      on m.cluster_id = p.cluster_id and m.vmid = p.vmid and m.ts = p.ts
    left join guest_samples s on s.ts = p.ts and s.cluster_id = p.cluster_id and s.vmid = p.vmid`.execute(db);
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
