import type { Kysely } from 'kysely';
import type { BackfillSamples } from '../poll/cluster-snapshot.ts';
import type { Database } from './schema.ts';
import { lowerStateNumber } from './agent-state.repository.ts';
import { ensureCluster } from './cluster.repository.ts';
import { rollupWatermarkKey } from './maintenance.ts';
import { GUEST_SAMPLE_COLUMNS, NODE_SAMPLE_COLUMNS, int } from './snapshot.repository.ts';
import { bulkInsert } from './sqlite-dialect.ts';

// Loops, not Math.min(...xs): a day of backfill for 10,000 guests would overflow the call stack.
const minTs = (xs: ReadonlyArray<{ ts: number }>): number => xs.reduce((m, x) => (x.ts < m ? x.ts : m), Infinity);
const maxTs = (xs: ReadonlyArray<{ ts: number }>): number => xs.reduce((m, x) => (x.ts > m ? x.ts : m), -Infinity);
const num = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : v);

const GUEST_PRESSURE_COLUMNS = ['cluster_id', 'vmid', 'ts', 'cpu_some', 'cpu_full', 'io_some', 'io_full', 'memory_some', 'memory_full'] as const;
const NODE_PRESSURE_COLUMNS = ['cluster_id', 'node', 'ts', 'arcsize', 'cpu_some', 'io_some', 'io_full', 'memory_some', 'memory_full'] as const;

/**
 * Writes gap-filling history (from Proxmox rrddata) as RAW samples, in one transaction:
 * - a (ts, guest|node) that already has a sample is left alone (ON CONFLICT DO NOTHING), so
 *   running it twice, or over polled data, never duplicates;
 * - columns rrddata lacks (uptime, load5/15, …) are null; what only rrddata has (PVE 9 pressure,
 *   ARC) is kept, and so is memhost (it used to be dropped here);
 * - the rollup watermark is lowered to the hour of the oldest new row, so the next maintenance
 *   runs re-roll those hours into the 5m/1h tiers (a re-roll never replaces a tier row with one
 *   built from fewer samples, so old hours whose raw rows were pruned keep what they had).
 * Returns the rows actually inserted.
 */
export async function writeBackfill(db: Kysely<Database>, b: BackfillSamples): Promise<{ guests: number; nodes: number }> {
  if (b.guests.length === 0 && b.nodes.length === 0) return { guests: 0, nodes: 0 };
  const oldestGuest = minTs(b.guests);
  const oldestNode = minTs(b.nodes);
  const oldest = Math.min(oldestGuest, oldestNode);
  const newest = Math.max(maxTs(b.guests), maxTs(b.nodes));
  return db.transaction().execute(async (trx) => {
    const clusterId = await ensureCluster(trx, b.cluster, oldest);
    const guests = await bulkInsert(
      db, trx, 'guest_samples', GUEST_SAMPLE_COLUMNS,
      b.guests.map((g) => [g.ts, clusterId, g.vmid, null, num(g.cpu), int(g.mem), int(g.memhost), int(g.disk), int(g.netinBps), int(g.netoutBps), int(g.diskreadBps), int(g.diskwriteBps)]),
      { onConflict: 'ignore' },
    );
    const nodes = await bulkInsert(
      db, trx, 'node_samples', NODE_SAMPLE_COLUMNS,
      b.nodes.map((n) => [n.ts, clusterId, n.node, null, num(n.cpu), num(n.iowait), num(n.load1), null, null, int(n.memTotal), int(n.memUsed), int(n.memAvailable), int(n.swapTotal), int(n.swapUsed), int(n.rootfsTotal), int(n.rootfsUsed), int(n.netinBps), int(n.netoutBps)]),
      { onConflict: 'ignore' },
    );
    // PVE 9 rrddata-only sources, in their own tables (rows only where rrddata had them)
    await bulkInsert(
      db, trx, 'guest_pressure_samples', GUEST_PRESSURE_COLUMNS,
      b.guests.filter((g) => g.pressureCpuSome != null || g.pressureIoSome != null || g.pressureMemorySome != null).map((g) => [
        clusterId, g.vmid, g.ts, num(g.pressureCpuSome), num(g.pressureCpuFull), num(g.pressureIoSome), num(g.pressureIoFull), num(g.pressureMemorySome), num(g.pressureMemoryFull),
      ]),
      { onConflict: 'ignore' },
    );
    await bulkInsert(
      db, trx, 'node_pressure_samples', NODE_PRESSURE_COLUMNS,
      b.nodes.filter((n) => n.arcsize != null || n.pressureCpuSome != null || n.pressureIoSome != null || n.pressureMemorySome != null).map((n) => [
        clusterId, n.node, n.ts, int(n.arcsize), num(n.pressureCpuSome), num(n.pressureIoSome), num(n.pressureIoFull), num(n.pressureMemorySome), num(n.pressureMemoryFull),
      ]),
      { onConflict: 'ignore' },
    );
    const hour = (ts: number) => Math.floor(ts / 3600) * 3600;
    if (guests > 0) await lowerStateNumber(trx, rollupWatermarkKey('guest'), hour(oldestGuest), newest);
    if (nodes > 0) await lowerStateNumber(trx, rollupWatermarkKey('node'), hour(oldestNode), newest);
    return { guests, nodes };
  });
}

/** Task types that show a guest ran during a stretch: it was started, stopped, moved or paused then. */
const LIFECYCLE_TASK = /^(qm|vz|ha)(start|stop|shutdown|reboot|reset|resume|suspend|pause|migrate|rollback)$/;

/**
 * Guests of `cluster` known to have run at some point of the gap (fromTs, toTs): they had a raw
 * sample at fromTs (running when the gap began) or a lifecycle task of theirs started inside it.
 * Backfill asks rrddata for these even when they are stopped now (issue 12 item 5).
 */
export async function guestsActiveInGap(db: Kysely<Database>, cluster: string, fromTs: number, toTs: number): Promise<Set<number>> {
  const out = new Set<number>();
  const id = (await db.selectFrom('clusters').select('id').where('name', '=', cluster).executeTakeFirst())?.id;
  if (id === undefined) return out;
  const before = await db.selectFrom('guest_samples').select('vmid').where('ts', '=', fromTs).where('cluster_id', '=', id).execute();
  for (const r of before) out.add(r.vmid);
  const tasks = await db
    .selectFrom('tasks')
    .select(['vmid', 'type'])
    .where('cluster_id', '=', id)
    .where('starttime', '>', fromTs)
    .where('starttime', '<', toTs)
    .where('vmid', 'is not', null)
    .execute();
  for (const t of tasks) if (t.vmid !== null && LIFECYCLE_TASK.test(t.type)) out.add(t.vmid);
  return out;
}
