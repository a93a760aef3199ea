// The snapshot-list stage of a cycle (issue 14 item 5): reads the planned guests' snapshot lists
// (snapshot-list-plan.ts) with a few requests in flight, and stores each cluster's lists in one
// transaction. A failed read is stored as the guest's error; the others go on.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { mapPool } from '../poll/promise-pool.ts';
import type { PollResult } from '../poll/poll-cycle.ts';
import type { PveClient, PveClientStats } from '../pve/pve-client.types.ts';
import { querySnapshotFetchTimes, writeSnapshotLists, type SnapshotListResult } from '../store/guest-snapshots.repository.ts';
import type { Database } from '../store/schema.ts';
import { SNAPSHOT_TASK_TYPES, planSnapshotReads } from './snapshot-list-plan.ts';

export interface SnapshotStageDeps {
  clients: Map<string, PveClient>;
  db: Kysely<Database>;
  log: Logger;
  now: () => number;
  intervalSeconds: number;
  /** How often each guest's list is read without a reason (default a day). */
  periodSeconds?: number;
  /** Reads in flight per cluster (default 4). */
  concurrency?: number;
}

/** One entry of GET …/snapshot (pve-api.md §6.4); "current" is the pseudo-entry. */
const SnapshotEntry = z.object({
  name: z.string().min(1),
  snaptime: z.coerce.number().int().optional(),
  description: z.string().optional(),
  parent: z.string().optional(),
  vmstate: z.coerce.number().int().optional(),
}).loose();
const SnapshotList = z.array(SnapshotEntry);

/** Turns a response into stored rows; the "current" pseudo-entry gives the parent we are at. */
export function mapSnapshotList(vmid: number, data: unknown): SnapshotListResult {
  const parsed = SnapshotList.safeParse(data);
  if (!parsed.success) return { vmid, error: `malformed snapshot list: ${parsed.error.issues[0]?.message ?? 'not an array'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}` };
  const current = parsed.data.find((e) => e.name === 'current');
  return {
    vmid,
    currentParent: current?.parent ?? null,
    entries: parsed.data.filter((e) => e.name !== 'current').map((e) => ({
      name: e.name, snaptime: e.snaptime ?? null, description: e.description ?? null, parent: e.parent ?? null, vmstate: e.vmstate ?? null,
    })),
  };
}

export interface SnapshotStage {
  run(outcomes: readonly PollResult[], opts?: { signal?: AbortSignal }): Promise<{ requests: number; read: number; failed: number }>;
}

export function createSnapshotStage(deps: SnapshotStageDeps): SnapshotStage {
  let cycle = 0;
  return {
    async run(outcomes, opts = {}) {
      const thisCycle = cycle++;
      const stats: PveClientStats = { requests: 0, errors: 0, retries: 0 };
      let read = 0;
      let failed = 0;
      for (const o of outcomes) {
        const snap = o.snapshot;
        const client = deps.clients.get(o.cluster);
        if (!snap || !client || opts.signal?.aborted) continue;
        // only guests with a snapshot task in the list need their last read (not the whole cluster's)
        const touched = [...new Set(snap.tasks.filter((t) => t.vmid !== null && SNAPSHOT_TASK_TYPES.has(t.type)).map((t) => t.vmid!))];
        const fetchedAt = await querySnapshotFetchTimes(deps.db, o.cluster, touched);
        const plan = planSnapshotReads({
          cycle: thisCycle, intervalSeconds: deps.intervalSeconds, periodSeconds: deps.periodSeconds ?? 86_400,
          guests: snap.guests, tasks: snap.tasks, onlineNodes: new Set(snap.nodes.filter((n) => n.status === 'online').map((n) => n.node)), fetchedAt,
        });
        if (!plan.length) continue;
        const results = await mapPool(plan, deps.concurrency ?? 4, async (r): Promise<SnapshotListResult> => {
          try {
            const data = await client.get(`/nodes/${encodeURIComponent(r.node)}/${r.type}/${r.vmid}/snapshot`, undefined, { stats, retries: 0, ...(opts.signal && { signal: opts.signal }) });
            return mapSnapshotList(r.vmid, data);
          } catch (err) {
            return { vmid: r.vmid, error: errorMessage(err) };
          }
        });
        read += results.filter((r) => !r.error).length;
        failed += results.filter((r) => r.error).length;
        try {
          await writeSnapshotLists(deps.db, o.cluster, Math.floor(deps.now() / 1000), results);
        } catch (err) {
          deps.log.error({ err, cluster: o.cluster }, `storing snapshot lists of cluster ${o.cluster} failed: ${errorMessage(err)}`);
        }
      }
      return { requests: stats.requests, read, failed };
    },
  };
}
