// Collect stage: everything one build reads from the database, in one place.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { queryActions, queryAgentState, queryPollRuns, queryRecentTasks, type ActionRow, type PollRunRow, type TaskRow } from './activity.query.ts';
import type { Fleet, GuestNow } from './build-fleet-model.ts';
import { queryClusters, queryGuests, queryNodes, queryStorages } from './inventory.query.ts';
import { queryGuestSamplesAfter, queryNodeSamplesSince, queryPackedGuestSamples, type RawNodeSample } from './recent.query.ts';
import type { RecentCache } from './recent-cache.ts';

/** Seconds of raw history kept in memory and put in guest/node JSON (the 1 h range plus slack). */
export const RAW_WINDOW_SECONDS = 3900;

export interface SiteData extends Fleet {
  tasks: TaskRow[];
  actions: ActionRow[];
  pollRuns: PollRunRow[];
  nodeRaw: RawNodeSample[];
  siteState: Map<string, { value: string; updated_at: number }>;
}

/** Reads inventory, tops up the recent-sample cache and reads activity for a build at nowSec. */
export async function collectSiteData(db: Kysely<Database>, cache: RecentCache, nowSec: number, opts: { nearFullRatio: number }): Promise<SiteData> {
  const [clusters, nodes, guests, storages] = await Promise.all([queryClusters(db), queryNodes(db), queryGuests(db), queryStorages(db)]);
  const windowFrom = nowSec - RAW_WINDOW_SECONDS;
  for (const c of clusters) {
    const after = Math.max(cache.watermark(c.id), windowFrom - 1);
    if (c.last_sample_ts === null || c.last_sample_ts <= after) continue;
    if (cache.watermark(c.id) === 0) cache.addPacked(c.id, await queryPackedGuestSamples(db, c.id, after));
    else cache.add(c.id, await queryGuestSamplesAfter(db, c.id, after));
  }
  cache.prune(windowFrom);
  const lastTs = new Map(clusters.map((c) => [c.id, c.last_sample_ts]));
  const now = new Map<string, GuestNow>();
  for (const g of guests) {
    const w = cache.get(g.cluster_id, g.vmid);
    if (!w) continue;
    const k = w.ts.length - 1;
    if (w.ts[k] !== lastTs.get(g.cluster_id)) continue;
    now.set(`${g.cluster_id}/${g.vmid}`, {
      ts: w.ts[k]!, cpu: w.cpu[k]!, mem: w.mem[k]!, disk: w.disk[k]!, uptime: w.uptime[k]!,
      netin: w.ni[k]!, netout: w.no[k]!, diskread: w.dr[k]!, diskwrite: w.dw[k]!,
    });
  }
  const since24h = nowSec - 86_400;
  const [tasks, actions, pollRuns, nodeRaw, siteState] = await Promise.all([
    queryRecentTasks(db, since24h, 1000),
    queryActions(db, nowSec - 7 * 86_400, 1000),
    queryPollRuns(db, since24h),
    queryNodeSamplesSince(db, nowSec - 3600),
    queryAgentState(db, 'site.'),
  ]);
  return {
    clusters, nodes, guests, storages, now,
    failedTasks24h: tasks.filter((t) => t.ok === 0).length,
    failedActions24h: actions.filter((a) => a.outcome === 'failed' && (a.finished_at ?? a.updated_at) >= since24h).length,
    nearFullRatio: opts.nearFullRatio,
    tasks, actions, pollRuns, nodeRaw, siteState,
  };
}
