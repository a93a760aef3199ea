// Collect stage: everything one build reads from the database, in one place.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { queryActions, queryAgentState, queryPollRuns, queryRecentTasks, type ActionRow, type PollRunRow, type TaskRow } from '../store/site-activity.repository.ts';
import type { Fleet, GuestNow } from './build-fleet-model.ts';
import { guestsSignature, queryClusters, queryGuests, queryNodes, queryStorages, type GuestRow } from '../store/site-inventory.repository.ts';
import { queryGuestSamples, queryNodeSamplesSince, queryPackedGuestSamples, type RawNodeSample } from '../store/site-samples.repository.ts';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import { valueAt, type RecentCache, type WindowColumn } from './recent-cache.ts';
import { readHealthSite, type HealthSiteRows } from '../store/health-site.query.ts'; // health (#15) hook
import type { AlertsStatus } from '../alerts/site/alerts-status.model.ts'; // alerts (#16) hook
import { collectFidelityData, type FidelityData } from '../store/site-fidelity.repository.ts';
import { collectAttentionRows, type AttentionRows, type StorageTrendCache } from '../store/site-attention.repository.ts'; // attention (#14)
import type { AttentionThresholds } from './build-attention-model.ts'; // attention (#14)

/** issue 14 item 6 (pages): the tasks page covers 7 days (at most this many tasks, newest first). */
export const TASKS_WINDOW_SECONDS = 7 * 86_400;
export const TASKS_LIMIT = 5000;
import { readFleet } from '../store/lease.repository.ts'; // leases (#17) hook
import type { AgentsData } from './build-agents-model.ts'; // leases (#17) hook

/**
 * Seconds of raw history read into memory at most (the 1 h range plus slack): the first fill reads
 * it, later builds keep only what the raw chunks do not hold yet (CollectOptions.keepFrom).
 */
export const RAW_WINDOW_SECONDS = 3900;

export interface SiteData extends Fleet {
  tasks: TaskRow[];
  actions: ActionRow[];
  pollRuns: PollRunRow[];
  nodeRaw: RawNodeSample[];
  /** Health signals (#15 hook): backups, disks, pools, HA, Ceph, replication, certificates, software. */
  health?: HealthSiteRows;
  siteState: Map<string, { value: string; updated_at: number }>;
  /** issue 12 items 2, 3 (fidelity): poll errors of the last 24 h, latest PVE 9 pressure/ARC. */
  fidelity?: FidelityData;
  /** alerts (#16) hook: the `alerts` part of status.json, set by the site builder (agent/alerts/site/). */
  alerts?: AlertsStatus;
  /** attention (#14): failed tasks, unexplained stops and storage trend for the overview's attention list. */
  attention?: AttentionRows;
  /** leases (#17) hook: agents, leases and handovers for the agent page. */
  agents?: AgentsData;
}

/**
 * The last hour of node samples, kept between builds and topped up from the newest stored one
 * (re-reading 12,000 rows every cycle cost ~55 ms at 200 nodes). Like the guest cache, a sample
 * stored later with an older timestamp (a backfill) shows once the 24 h tier has it.
 */
export interface NodeWindow {
  rows: RawNodeSample[];
  /** Newest ts read (0: nothing yet). */
  mark: number;
}

/** The guest rows of the last build and the signature they were read at. */
export interface GuestRowsCache {
  signature: string;
  rows: GuestRow[];
}

export interface CollectOptions {
  nearFullRatio: number;
  /** attention (#14): thresholds of the attention list and usage bars (config site.attention). */
  thresholds?: AttentionThresholds;
  /** Guest rows kept between builds, read again only when a row changed (~50 ms at 10,000). */
  guestRows?: GuestRowsCache;
  /** Node samples kept between builds (absent: the hour is read every time). */
  nodeWindow?: NodeWindow;
  /** attention (#14): the storage trend kept between builds (absent: read every time). */
  storageTrend?: StorageTrendCache;
  /**
   * Snapshots recorded before the clusters' ids were known (the first build): added to the cache
   * after their cluster's first fill (older samples arriving after newer ones would be ignored).
   */
  pending?: ClusterSnapshot[];
  /**
   * After a restart: samples up to this ts of the cluster's guests are already in published raw
   * chunks, so the first fill of the cache reads only what came after (0: read the whole window).
   */
  publishedUpTo?: (cluster: string, vmids: number[]) => number;
  /**
   * The oldest sample a build still needs (0: the whole window): older ones are in the raw chunks
   * of every part, so the cache drops them instead of holding the hour.
   */
  keepFrom?: number;
}

/** Reads inventory, tops up the recent-sample cache and reads activity for a build at nowSec. */
export async function collectSiteData(db: Kysely<Database>, cache: RecentCache, nowSec: number, opts: CollectOptions): Promise<SiteData> {
  const [clusters, nodes, storages] = await Promise.all([queryClusters(db), queryNodes(db), queryStorages(db)]);
  let guests: GuestRow[];
  const kept = opts.guestRows;
  if (kept) {
    const signature = await guestsSignature(db);
    if (signature !== kept.signature) {
      kept.rows = await queryGuests(db);
      kept.signature = signature;
    }
    guests = kept.rows;
  } else guests = await queryGuests(db);
  const windowFrom = nowSec - RAW_WINDOW_SECONDS;
  for (const c of clusters) {
    const first = cache.watermark(c.id) === 0;
    const published = first && opts.publishedUpTo ? opts.publishedUpTo(c.name, guests.filter((g) => g.cluster_id === c.id).map((g) => g.vmid)) : 0;
    const after = Math.max(cache.watermark(c.id), windowFrom - 1, published);
    if (c.last_sample_ts === null || c.last_sample_ts <= after) continue;
    // The first fill (after a start) reads the hour packed per guest: several times cheaper.
    if (!first) cache.add(c.id, await queryGuestSamples(db, c.id, '>', after));
    else cache.addPacked(c.id, await queryPackedGuestSamples(db, c.id, after));
  }
  // Snapshots recorded before the clusters' ids were known go in after their cluster's first fill.
  const idOf = new Map(clusters.map((c) => [c.name, c.id]));
  for (const snap of opts.pending ?? []) {
    const id = idOf.get(snap.cluster);
    if (id !== undefined) cache.addSnapshot(id, snap);
  }
  // The newest sample of each cluster stays too: it is the guests' current values (`now` below).
  let keepFrom = opts.keepFrom ?? 0;
  for (const c of clusters) if (c.last_sample_ts !== null && c.last_sample_ts >= windowFrom) keepFrom = Math.min(keepFrom, c.last_sample_ts);
  cache.prune(Math.max(windowFrom, keepFrom));
  const lastTs = new Map(clusters.map((c) => [c.id, c.last_sample_ts]));
  const now = new Map<string, GuestNow>();
  for (const g of guests) {
    const w = cache.get(g.cluster_id, g.vmid);
    if (!w || w.n === 0) continue;
    const k = w.n - 1;
    const ts = valueAt(w, 'ts', k)!;
    if (ts !== lastTs.get(g.cluster_id)) continue;
    const at = (c: WindowColumn) => valueAt(w, c, k);
    now.set(`${g.cluster_id}/${g.vmid}`, {
      ts, cpu: at('cpu'), mem: at('mem'), disk: at('disk'), uptime: at('uptime'),
      netin: at('ni'), netout: at('no'), diskread: at('dr'), diskwrite: at('dw'),
    });
  }
  const since24h = nowSec - 86_400;
  const nodeFrom = nowSec - 3600;
  const nw = opts.nodeWindow;
  const [tasks, actions, pollRuns, newNodeRows, siteState, fidelity] = await Promise.all([
    queryRecentTasks(db, nowSec - TASKS_WINDOW_SECONDS, TASKS_LIMIT), // issue 14 item 6 (pages): 7 days
    queryActions(db, nowSec - 7 * 86_400, 1000),
    queryPollRuns(db, since24h),
    queryNodeSamplesSince(db, nw ? Math.max(nodeFrom, nw.mark + 1) : nodeFrom),
    queryAgentState(db, 'site.'),
    collectFidelityData(db, nowSec), // issue 12 items 2, 3 (fidelity)
  ]);
  const attention = await collectAttentionRows(db, nowSec, opts.storageTrend); // attention (#14)
  let nodeRaw = newNodeRows;
  if (nw) {
    nw.rows = nw.rows.filter((r) => r.ts >= nodeFrom).concat(newNodeRows);
    for (const r of newNodeRows) if (r.ts > nw.mark) nw.mark = r.ts;
    nodeRaw = nw.rows;
  }
  return {
    clusters, nodes, guests, storages, now,
    failedTasks24h: tasks.filter((t) => t.ok === 0 && t.starttime >= since24h).length,
    failedActions24h: actions.filter((a) => a.outcome === 'failed' && (a.finished_at ?? a.updated_at) >= since24h).length,
    nearFullRatio: opts.nearFullRatio,
    ...(opts.thresholds && { thresholds: opts.thresholds }), // attention (#14)
    attention, // attention (#14)
    tasks, actions, pollRuns, nodeRaw, siteState, fidelity,
    agents: await readFleet(db, (nowSec - 7 * 86_400) * 1000), // leases (#17) hook
    health: await readHealthSite(db), // health (#15) hook
  };
}
