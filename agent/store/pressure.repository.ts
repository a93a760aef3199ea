// The latest PVE 9 pressure stall / ARC values per node and guest (issue 12 item 2). They come
// only from rrddata (backfill), so "latest" is the newest backfilled row that has them; the
// partial indexes of migration 2026-12-07-0020 hold exactly those rows.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface NodePressureRow {
  cluster_id: number;
  node: string;
  ts: number;
  arcsize: number | null;
  pressure_cpu_some: number | null;
  pressure_io_some: number | null;
  pressure_io_full: number | null;
  pressure_memory_some: number | null;
  pressure_memory_full: number | null;
}

export interface GuestPressureRow {
  cluster_id: number;
  vmid: number;
  ts: number;
  memhost: number | null;
  pressure_cpu_some: number | null;
  pressure_cpu_full: number | null;
  pressure_io_some: number | null;
  pressure_io_full: number | null;
  pressure_memory_some: number | null;
  pressure_memory_full: number | null;
}

/** Each node's newest row with pressure values since `sinceTs`. */
export async function latestNodePressure(db: Kysely<Database>, sinceTs: number): Promise<NodePressureRow[]> {
  const r = await sql<NodePressureRow>`
    select s.cluster_id, s.node, s.ts, s.arcsize, s.pressure_cpu_some, s.pressure_io_some, s.pressure_io_full,
           s.pressure_memory_some, s.pressure_memory_full
    from node_samples s
    join (select cluster_id, node, max(ts) as ts from node_samples
          where pressure_cpu_some is not null and ts >= ${sinceTs} group by cluster_id, node) m
      on m.cluster_id = s.cluster_id and m.node = s.node and m.ts = s.ts`.execute(db);
  return r.rows;
}

/** Each guest's newest row with pressure values since `sinceTs`. */
export async function latestGuestPressure(db: Kysely<Database>, sinceTs: number): Promise<GuestPressureRow[]> {
  const r = await sql<GuestPressureRow>`
    select s.cluster_id, s.vmid, s.ts, s.memhost, s.pressure_cpu_some, s.pressure_cpu_full, s.pressure_io_some,
           s.pressure_io_full, s.pressure_memory_some, s.pressure_memory_full
    from guest_samples s
    join (select cluster_id, vmid, max(ts) as ts from guest_samples
          where pressure_cpu_some is not null and ts >= ${sinceTs} group by cluster_id, vmid) m
      on m.cluster_id = s.cluster_id and m.vmid = s.vmid and m.ts = s.ts`.execute(db);
  return r.rows;
}
