// Node network for the charts (issue 14 item 4). Proxmox's node status has no network counters, so
// a node's network chart was always empty for live data; only its rrddata has them (minute averages
// of netin/netout, §8). One rrddata request per online node every health.every.nodeNetwork seconds, spread
// evenly over the period (health-schedule.ts), fills the network of the node's stored samples of
// the hour it covers (~70 minutes). Hourly is what the request budget leaves: the health tiers use
// ~107 of the 12N + 12C per hour (2 clusters × 4 nodes, test/integration/health-budget.test.ts);
// this adds N, counted with them (the poll bench's requestsPerHour). Nothing here writes to Proxmox.
import { errorMessage } from '../errors.ts';
import { dueReads, periodCycles } from '../health/health-schedule.ts';
import type { Logger } from '../log/logger.ts';
import type { PveClient, PveClientStats } from '../pve/pve-client.types.ts';
import { RrdRow, parseItems } from '../pve/pve-schemas.ts';
import type { PollResult } from './poll-cycle.ts';
import { mapPool } from './promise-pool.ts';

import type { NodeNetRow } from '../store/node-network.repository.ts';

export type { NodeNetRow };

export interface NodeNetTierDeps {
  clients: Map<string, PveClient>;
  log: Logger;
  intervalSeconds: number;
  /** How often each node's network is read (config health.every.nodeNetwork). */
  everySeconds: number;
  /** Store hook: fills the node's samples from the rows (agent/store: fillNodeNetwork). */
  write: (cluster: string, node: string, rows: NodeNetRow[]) => Promise<unknown>;
  /** Requests at once per cluster (default 4). */
  concurrency?: number;
}

export interface NodeNetTier {
  runCycle(outcomes: readonly PollResult[], opts?: { signal?: AbortSignal }): Promise<void>;
  /** Requests made by the last runCycle (retries included). */
  lastRequests(): number;
}

/** rrddata rows → the network part (bytes/s), rows without either counter left out. Pure. */
export function netRowsFromRrd(rows: readonly RrdRow[]): NodeNetRow[] {
  const num = (r: RrdRow, k: string) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? r[k] : null);
  return rows
    .map((r) => ({ ts: r.time, netinBps: num(r, 'netin'), netoutBps: num(r, 'netout') }))
    .filter((r) => r.netinBps !== null || r.netoutBps !== null);
}

export function createNodeNetTier(deps: NodeNetTierDeps): NodeNetTier {
  const period = periodCycles(deps.everySeconds, deps.intervalSeconds);
  let cycle = -1;
  let requests = 0;
  return {
    lastRequests: () => requests,
    async runCycle(outcomes, opts = {}) {
      cycle++;
      requests = 0;
      const reached = outcomes.filter((o) => o.ok && o.snapshot && deps.clients.has(o.cluster));
      const keys = reached.flatMap((o) => o.snapshot!.nodes.filter((n) => n.status === 'online').map((n) => ({ key: `${o.cluster}|${n.node}`, periodCycles: period })));
      const due = dueReads(cycle, keys);
      for (const o of reached) {
        if (opts.signal?.aborted) return;
        const client = deps.clients.get(o.cluster)!;
        const nodes = o.snapshot!.nodes.filter((n) => n.status === 'online' && due.has(`${o.cluster}|${n.node}`));
        await mapPool(nodes, deps.concurrency ?? 4, async (n) => {
          const path = `/nodes/${encodeURIComponent(n.node)}/rrddata`;
          const stats: PveClientStats = { requests: 0, errors: 0, retries: 0 };
          try {
            const p = parseItems(RrdRow, await client.get(path, { timeframe: 'hour', cf: 'AVERAGE' }, { stats, ...(opts.signal && { signal: opts.signal }) }));
            await deps.write(o.cluster, n.node, netRowsFromRrd(p.items));
          } catch (err) {
            deps.log.warn({ cluster: o.cluster, node: n.node, path, err: errorMessage(err) }, `node network (rrddata) of ${n.node} not read: ${errorMessage(err)}`);
          } finally {
            requests += Math.max(1, stats.requests);
          }
        });
      }
    },
  };
}
