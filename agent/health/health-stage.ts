// The health stage of a cycle: the slower tiers read what is due, then each cluster's batch is
// written in its own transaction. A failing write is logged for that cluster; the others go on.
import type { Kysely } from 'kysely';
import type { HealthConfig } from '../config/health-config.schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PollResult } from '../poll/poll-cycle.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { healthKnowledge, pruneHealthHistory, writeHealthBatch } from '../store/health.repository.ts';
import type { Database } from '../store/schema.ts';
import { createHealthTier } from './health-tier.ts';
import type { PbsTier } from './pbs-tier.ts';
import { createNodeNetTier } from '../poll/node-net-tier.ts'; // charts (#14 item 4)
import { fillNodeNetwork } from '../store/node-network.repository.ts'; // charts (#14 item 4)

export interface HealthStageDeps {
  clients: Map<string, PveClient>;
  db: Kysely<Database>;
  log: Logger;
  now: () => number;
  intervalSeconds: number;
  config: HealthConfig;
  /** Cluster name → token id, for the coverage's pveum lines. */
  tokenIds?: ReadonlyMap<string, string>;
  /** History (runs, samples, changes) older than this is pruned (config retention.hourlyDays). */
  retentionDays?: number;
  /** leases (#17): whether this agent prunes the fleet's health history now (the site lease holder); default always. */
  prunes?: () => boolean;
  /** Proxmox Backup Servers (#15, optional PBS), read after the clusters. */
  pbs?: PbsTier;
}

export interface HealthStage {
  run(outcomes: readonly PollResult[], opts?: { signal?: AbortSignal }): Promise<{ clusters: number; requests: number; results: number }>;
}

/** Creates the stage; the tier inside keeps the cycle counter its schedule runs on. */
export function createHealthStage(deps: HealthStageDeps): HealthStage {
  const tier = createHealthTier({ ...deps, knowledge: healthKnowledge(deps.db) });
  // charts (#14 item 4): node network from rrddata at a slow cadence, counted with the health requests
  const net = createNodeNetTier({ clients: deps.clients, log: deps.log, intervalSeconds: deps.intervalSeconds, everySeconds: deps.config.every.nodeNetwork, write: (c, n, rows) => fillNodeNetwork(deps.db, c, n, rows) });
  let lastPrune = -Infinity;
  return {
    async run(outcomes, opts = {}) {
      const batches = await tier.runCycle(outcomes, opts);
      await net.runCycle(outcomes, opts); // charts (#14 item 4)
      let results = 0;
      for (const batch of batches) {
        try {
          await writeHealthBatch(deps.db, { ...batch, tokenId: deps.tokenIds?.get(batch.cluster) }, { rpoOverrides: deps.config.rpoOverrides });
          results += batch.results.length;
        } catch (err) {
          deps.log.error({ err, cluster: batch.cluster }, `storing health of cluster ${batch.cluster} failed: ${errorMessage(err)}`);
        }
      }
      // history pruned hourly, in bounded steps
      const nowSec = Math.floor(deps.now() / 1000);
      if (deps.retentionDays && nowSec - lastPrune >= 3600 && (deps.prunes?.() ?? true)) {
        lastPrune = nowSec;
        await pruneHealthHistory(deps.db, nowSec - deps.retentionDays * 86_400).catch((err: unknown) => deps.log.error({ err }, `pruning health history failed: ${errorMessage(err)}`));
      }
      const pbsRequests = deps.pbs ? await deps.pbs.runCycle().catch((err: unknown) => (deps.log.error({ err }, `PBS tier failed: ${errorMessage(err)}`), 0)) : 0;
      const summary = { clusters: batches.length, requests: tier.lastRequests() + net.lastRequests() + pbsRequests, results }; // + node network (charts #14)
      if (results) deps.log.debug(summary, 'health stage done');
      return summary;
    },
  };
}
