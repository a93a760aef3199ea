// Cluster-level chart series (issue 14 item 5), computed from what is stored per node and guest:
// CPU (core-weighted over the nodes), memory used and installed, network in/out (sums over the
// nodes) from the node tiers, and the guests running from the guests' status changes (a step
// function walked back from the current count: cheap at any range, unlike counting a year of
// per-guest rollup rows).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { TierQuery } from './site-series.repository.ts';

/** One point of a cluster's node tier: bucket index b (ts = from + b * group). */
export interface ClusterTierRow {
  b: number;
  /** Percent of the cluster's cores (weighted by each node's core count). */
  cpu: number | null;
  mem: number | null;
  memTotal: number | null;
  netin: number | null;
  netout: number | null;
}

/** Per-bucket cluster sums over the node tier (5-minute or hourly rollups) since q.from. */
export async function queryClusterNodeTier(db: Kysely<Database>, clusterId: number, q: TierQuery): Promise<ClusterTierRow[]> {
  const table = sql.table(`node_samples_${q.tier}`);
  // First one value per node and bucket, then the sum over the nodes of the bucket.
  const r = await sql<ClusterTierRow>`WITH per_node AS (
      SELECT CAST((s.ts - ${q.from}) / ${q.group} AS INTEGER) AS b, s.node,
             avg(s.cpu_avg) * coalesce(max(n.maxcpu), 1) AS cpu_cores, coalesce(max(n.maxcpu), 1) AS cores,
             avg(s.mem_used_avg) AS mem, avg(s.mem_total) AS mem_total, avg(s.netin_avg) AS ni, avg(s.netout_avg) AS no
      FROM ${table} s LEFT JOIN nodes n ON n.cluster_id = s.cluster_id AND n.node = s.node
      WHERE s.cluster_id = ${clusterId} AND s.ts >= ${q.from}
      GROUP BY b, s.node)
    SELECT b, sum(cpu_cores) * 100.0 / nullif(sum(CASE WHEN cpu_cores IS NOT NULL THEN cores END), 0) AS cpu,
           sum(mem) AS mem, sum(mem_total) AS "memTotal", sum(ni) AS netin, sum(no) AS netout
    FROM per_node GROUP BY b ORDER BY b`.execute(db);
  return r.rows;
}

/** A change of the number of running guests at ts (+1 started or appeared running, −1 stopped or removed while running). */
export interface RunDelta {
  ts: number;
  delta: number;
}

/** The changes of the running-guest count of a cluster after `after`, in time order. */
export async function queryGuestRunDeltas(db: Kysely<Database>, clusterId: number, after: number): Promise<RunDelta[]> {
  const r = await sql<RunDelta>`SELECT ts, delta FROM (
      SELECT ts, CASE WHEN to_status = 'running' THEN 1 ELSE -1 END AS delta
      FROM guest_status_changes
      WHERE cluster_id = ${clusterId} AND ts > ${after}
        AND (to_status = 'running') <> (coalesce(from_status, '') = 'running')
      UNION ALL
      SELECT removed_at AS ts, -1 AS delta FROM guests
      WHERE cluster_id = ${clusterId} AND removed_at > ${after} AND status = 'running' AND template = 0) d
    ORDER BY ts`.execute(db); // the alias: PostgreSQL before 16 wants one
  return r.rows;
}
