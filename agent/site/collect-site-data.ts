// Collect stage: everything one build reads from the database, in one place.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { queryActions, queryAgentState, queryPollRuns, queryRecentTasks, type ActionRow, type PollRunRow, type TaskRow } from './activity.query.ts';
import type { Fleet, GuestNow } from './build-fleet-model.ts';
import { guestsSignature, queryClusters, queryGuests, queryNodes, queryStorages, type GuestRow } from './inventory.query.ts';
import { queryGuestSamples, queryNodeSamplesSince, queryPackedGuestSamples, type RawGuestSample, type RawNodeSample } from './recent.query.ts';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { RecentCache } from './recent-cache.ts';
import { readHealthSite, type HealthSiteRows } from '../store/health-site.query.ts'; // health (#15) hook
import type { AlertsStatus } from '../alerts/site/alerts-status.model.ts'; // alerts (#16) hook
import { collectFidelityData, type FidelityData } from './fidelity.query.ts';
import type { ClusterRead, RecentReader } from './recent-reader.ts';

const DONE = Promise.resolve();

/** Seconds of raw history kept in memory and put in guest/node JSON (the 1 h range plus slack). */
export const RAW_WINDOW_SECONDS = 3900;

export interface SiteData extends Fleet {
  tasks: TaskRow[];
  actions: ActionRow[];
  pollRuns: PollRunRow[];
  nodeRaw: RawNodeSample[];
  /** Health signals (#15 hook): backups, disks, pools, HA, Ceph, replication, certificates, software. */
  health?: HealthSiteRows;
  siteState: Map<string, { value: string; updated_at: number }>;
  /**
   * Resolves once the recent-sample cache holds the last hour (at once, except on the first
   * build, whose read runs on a worker thread meanwhile). Only guest pages and files need it.
   */
  recentReady: Promise<void>;
  /** issue 12 items 2, 3 (fidelity): poll errors of the last 24 h, latest PVE 9 pressure/ARC. */
  fidelity?: FidelityData;
  /** alerts (#16) hook: the `alerts` part of status.json, set by the site builder (agent/alerts/site/). */
  alerts?: AlertsStatus;
  /** The same for one cluster: its guests can be rendered once it resolves. */
  clusterReady: (clusterId: number) => Promise<void>;
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
  /** Guest rows kept between builds, read again only when a row changed (~50 ms at 10,000). */
  guestRows?: GuestRowsCache;
  /** Node samples kept between builds (absent: the hour is read every time). */
  nodeWindow?: NodeWindow;
  /** Reads the first fill of the cache off this thread; without it the read runs here. */
  reader?: RecentReader;
  /** The reader failed and the read ran on this thread instead. */
  onReaderError?: (err: unknown) => void;
  /**
   * Snapshots recorded before the clusters' ids were known (the first build): added to the cache
   * after their cluster's first fill (older samples arriving after newer ones would be ignored).
   */
  pending?: ClusterSnapshot[];
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
  const firstFill: ClusterRead[] = [];
  for (const c of clusters) {
    const after = Math.max(cache.watermark(c.id), windowFrom - 1);
    if (c.last_sample_ts === null || c.last_sample_ts <= after) continue;
    if (cache.watermark(c.id) !== 0) cache.add(c.id, await queryGuestSamples(db, c.id, '>', after));
    else if (opts.reader) firstFill.push({ clusterId: c.id, after });
    else cache.addPacked(c.id, await queryPackedGuestSamples(db, c.id, after));
  }
  cache.prune(windowFrom);
  let recentReady = Promise.resolve();
  // Clusters whose first fill the reader is still reading, and what their guests wait on.
  const waiting = new Map(firstFill.map((r) => [r.clusterId, deferred()]));
  const readyOf = new Map([...waiting].map(([id, d]) => [id, d.promise]));
  const idOf = new Map(clusters.map((c) => [c.name, c.id]));
  const addPending = (clusterId: number) => {
    for (const snap of opts.pending ?? []) if (idOf.get(snap.cluster) === clusterId) cache.addSnapshot(clusterId, snap);
  };
  for (const c of clusters) if (!waiting.has(c.id)) addPending(c.id);
  const filled = (clusterId: number, packed: Parameters<RecentCache['addPacked']>[1]) => {
    const d = waiting.get(clusterId);
    if (!d) return;
    waiting.delete(clusterId);
    cache.addPacked(clusterId, packed);
    addPending(clusterId);
    d.resolve();
  };
  if (firstFill.length) {
    // Clusters the reader did not hand over (it failed) are read here.
    const readRest = async () => {
      for (const r of firstFill) if (waiting.has(r.clusterId)) filled(r.clusterId, await queryPackedGuestSamples(db, r.clusterId, r.after));
    };
    recentReady = opts.reader!(firstFill, filled).then(readRest, (err: unknown) => {
      opts.onReaderError?.(err);
      return readRest();
    });
    // A cluster left unfilled must not keep its guests waiting forever.
    recentReady.catch((err: unknown) => {
      for (const d of waiting.values()) d.reject(err);
    });
  }
  const lastTs = new Map(clusters.map((c) => [c.id, c.last_sample_ts]));
  const now = new Map<string, GuestNow>();
  const setNow = (clusterId: number, vmid: number, r: Omit<RawGuestSample, 'cluster_id' | 'vmid'>) =>
    now.set(`${clusterId}/${vmid}`, {
      ts: r.ts, cpu: r.cpu, mem: r.mem, disk: r.disk, uptime: r.uptime,
      netin: r.netin_bps, netout: r.netout_bps, diskread: r.diskread_bps, diskwrite: r.diskwrite_bps,
    });
  // Clusters still being read: their current values from the newest sample alone.
  for (const r of firstFill) {
    const ts = lastTs.get(r.clusterId);
    if (ts != null) for (const row of await queryGuestSamples(db, r.clusterId, '=', ts)) setNow(r.clusterId, row.vmid, row);
  }
  const filling = new Set(firstFill.map((r) => r.clusterId));
  for (const g of guests) {
    if (filling.has(g.cluster_id)) continue;
    const w = cache.get(g.cluster_id, g.vmid);
    if (!w) continue;
    const k = w.ts.length - 1;
    if (w.ts[k] !== lastTs.get(g.cluster_id)) continue;
    setNow(g.cluster_id, g.vmid, {
      ts: w.ts[k]!, cpu: w.cpu[k]!, mem: w.mem[k]!, disk: w.disk[k]!, uptime: w.uptime[k]!,
      netin_bps: w.ni[k]!, netout_bps: w.no[k]!, diskread_bps: w.dr[k]!, diskwrite_bps: w.dw[k]!,
    });
  }
  const since24h = nowSec - 86_400;
  const nodeFrom = nowSec - 3600;
  const nw = opts.nodeWindow;
  const [tasks, actions, pollRuns, newNodeRows, siteState, fidelity] = await Promise.all([
    queryRecentTasks(db, since24h, 1000),
    queryActions(db, nowSec - 7 * 86_400, 1000),
    queryPollRuns(db, since24h),
    queryNodeSamplesSince(db, nw ? Math.max(nodeFrom, nw.mark + 1) : nodeFrom),
    queryAgentState(db, 'site.'),
    collectFidelityData(db, nowSec), // issue 12 items 2, 3 (fidelity)
  ]);
  let nodeRaw = newNodeRows;
  if (nw) {
    nw.rows = nw.rows.filter((r) => r.ts >= nodeFrom).concat(newNodeRows);
    for (const r of newNodeRows) if (r.ts > nw.mark) nw.mark = r.ts;
    nodeRaw = nw.rows;
  }
  return {
    clusters, nodes, guests, storages, now,
    failedTasks24h: tasks.filter((t) => t.ok === 0).length,
    failedActions24h: actions.filter((a) => a.outcome === 'failed' && (a.finished_at ?? a.updated_at) >= since24h).length,
    nearFullRatio: opts.nearFullRatio,
    tasks, actions, pollRuns, nodeRaw, siteState, recentReady, fidelity,
    health: await readHealthSite(db), // health (#15) hook
    clusterReady: (id) => readyOf.get(id) ?? DONE,
  };
}

/** A promise with its settle functions (Promise.withResolvers needs Node 22). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a failure is also reported through recentReady
  return { promise, resolve, reject };
}
