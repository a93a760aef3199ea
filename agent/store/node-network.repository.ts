// charts (#14 item 4): a node's network from its rrddata (agent/poll/node-net-tier.ts) written into
// the node's stored samples, whose live rows have none (Proxmox's node status has no counters).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { getClusterId } from './cluster.repository.ts';
import { int } from './snapshot.repository.ts';

export interface NodeNetRow { ts: number; netinBps: number | null; netoutBps: number | null }

/**
 * Sets netin/netout of the node's samples in each row's step [ts, ts + step) where they are still
 * null (a value already there, e.g. from backfill, is kept), in one UPDATE for the batch (an hour of
 * rrddata is ~70 rows; a larger batch, which rrddata never gives, is split in MAX_ROWS). Values are
 * rounded to whole bytes/s like the live samples' (the columns are integers; PostgreSQL refuses a
 * fraction). Returns the samples updated.
 */
export async function fillNodeNetwork(db: Kysely<Database>, cluster: string, node: string, rows: readonly NodeNetRow[]): Promise<number> {
  if (!rows.length) return 0;
  const clusterId = await getClusterId(db, cluster);
  if (clusterId === undefined) return 0;
  const sorted = [...rows].sort((a, b) => a.ts - b.ts);
  const step = sorted.length > 1 ? Math.max(1, sorted[1]!.ts - sorted[0]!.ts) : 60;
  let updated = 0;
  for (let i = 0; i < sorted.length; i += MAX_ROWS) updated += await fillChunk(db, clusterId, node, sorted.slice(i, i + MAX_ROWS), step);
  return updated;
}

/** Rows per UPDATE at most: its OR of steps stays below SQLite's expression depth of 1,000 (an hour of rrddata is ~70 rows). */
const MAX_ROWS = 200;

async function fillChunk(db: Kysely<Database>, clusterId: number, node: string, sorted: readonly NodeNetRow[], step: number): Promise<number> {
  const inStep = (r: NodeNetRow) => sql<boolean>`(ts >= ${r.ts} and ts < ${r.ts + step})`;
  // the first row whose step holds the sample gives its value (as row-by-row updates in ts order did)
  const valueOf = (v: (r: NodeNetRow) => number | null) =>
    sql<number | null>`case ${sql.join(sorted.map((r) => sql`when ${inStep(r)} then cast(${int(v(r))} as bigint)`), sql` `)} end`;
  const res = await db
    .updateTable('node_samples')
    .set({ netin_bps: valueOf((r) => r.netinBps), netout_bps: valueOf((r) => r.netoutBps) })
    .where('cluster_id', '=', clusterId)
    .where('node', '=', node)
    .where('ts', '>=', sorted[0]!.ts)
    .where('ts', '<', sorted[sorted.length - 1]!.ts + step)
    .where('netin_bps', 'is', null)
    .where('netout_bps', 'is', null)
    .where(sql<boolean>`(${sql.join(sorted.map(inStep), sql` or `)})`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
