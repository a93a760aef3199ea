// charts (#14 item 4): a node's network from its rrddata (agent/poll/node-net-tier.ts) written into
// the node's stored samples, whose live rows have none (Proxmox's node status has no counters).
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { getClusterId } from './cluster.repository.ts';

export interface NodeNetRow { ts: number; netinBps: number | null; netoutBps: number | null }

/**
 * Sets netin/netout of the node's samples in each row's step [ts, ts + step) where they are still
 * null (a value already there, e.g. from backfill, is kept). Returns the samples updated.
 */
export async function fillNodeNetwork(db: Kysely<Database>, cluster: string, node: string, rows: readonly NodeNetRow[]): Promise<number> {
  if (!rows.length) return 0;
  const clusterId = await getClusterId(db, cluster);
  if (clusterId === undefined) return 0;
  const sorted = [...rows].sort((a, b) => a.ts - b.ts);
  const step = sorted.length > 1 ? Math.max(1, sorted[1]!.ts - sorted[0]!.ts) : 60;
  let updated = 0;
  await db.transaction().execute(async (tx) => {
    for (const r of sorted) {
      const res = await tx
        .updateTable('node_samples')
        .set({ netin_bps: r.netinBps, netout_bps: r.netoutBps })
        .where('cluster_id', '=', clusterId)
        .where('node', '=', node)
        .where('ts', '>=', r.ts)
        .where('ts', '<', r.ts + step)
        .where('netin_bps', 'is', null)
        .where('netout_bps', 'is', null)
        .executeTakeFirst();
      updated += Number(res.numUpdatedRows);
    }
  });
  return updated;
}
