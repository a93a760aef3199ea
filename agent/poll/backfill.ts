// Filling history gaps after an agent restart or outage, and for a cluster seen for the first time
// (pve-api.md §3.4, §8). Runs after the cycle's snapshots are stored:
// - gap = time since the cluster's previous stored sample; a gap over 2 poll intervals is filled;
//   a cluster with no samples at all gets the last day;
// - PVE ≥ 8.2.5 and a gap within the pull-metrics cache (30 min): ONE /cluster/metrics/export?history=1
//   call fills nodes and guests;
// - otherwise rrddata: one call per online node at once, and per-guest calls for guests that are
//   not stopped or that ran at some point of the gap (running before it, or a lifecycle task in
//   it), queued and spent at most `guestCallsPerCycle` per cycle (rrddata is per guest,
//   so it must not turn the poll into per-guest polling). Timeframe hour or day by the gap's size.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { getClusterId } from '../store/cluster.repository.ts';
import { guestsActiveInGap, writeBackfill } from '../store/backfill.repository.ts';
import type { Logger } from '../log/logger.ts';
import { errorMessage } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { MetricItem, RrdRow, parseItems } from '../pve/pve-schemas.ts';
import type { BackfillSamples, ClusterSnapshot } from './cluster-snapshot.ts';
import { guestRowsFromRrd, nodeRowsFromRrd, rowsFromMetrics } from './map-backfill.ts';
import { hasMetricsExport } from './pve-version.ts';
import { mapPool } from './promise-pool.ts';
import { METRICS_EXPORT_SECONDS, gapStart, timeframeFor } from './backfill-plan.ts';

export { METRICS_EXPORT_SECONDS, NEW_CLUSTER_SECONDS, gapStart, timeframeFor } from './backfill-plan.ts';


export interface BackfillerDeps {
  clients: Map<string, PveClient>;
  db: Kysely<Database>;
  log: Logger;
  /** Epoch ms. */
  now: () => number;
  intervalSeconds: number;
  /** Per-guest rrddata calls allowed per cycle across all clusters (default 100). */
  guestCallsPerCycle?: number;
  /** Concurrent backfill requests per cluster (default 4). */
  concurrency?: number;
  /** Store hook; writeBackfill by default. */
  write?: (db: Kysely<Database>, b: BackfillSamples) => Promise<unknown>;
}

export interface BackfillSummary {
  clusters: number;
  requests: number;
  guestRows: number;
  nodeRows: number;
  /** Per-guest calls still queued for later cycles. */
  queued: number;
}

interface GuestJob {
  cluster: string;
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  fromTs: number;
  toTs: number;
}


/** Cycles in a row a failed gap fill is tried (the first and two more). */
const MAX_TRIES = 3;

interface OutcomeLike {
  cluster: string;
  ok: boolean;
  snapshot?: ClusterSnapshot;
}

/** Creates the backfiller; call run(outcomes) once per cycle after the snapshots are stored. */
export function createBackfiller(deps: BackfillerDeps) {
  const log = deps.log;
  const write = deps.write ?? writeBackfill;
  const guestBudget = deps.guestCallsPerCycle ?? 100;
  const concurrency = deps.concurrency ?? 4;
  /** Newest snapshot ts seen per cluster in this process (undefined: a new cluster whose day is still to fill). */
  const seen = new Map<string, number | undefined>();
  /** Failed fills of a gap in a row, per cluster: the gap is tried again next cycle, up to MAX_TRIES times. */
  const failures = new Map<string, number>();
  let queue: GuestJob[] = [];

  async function previousSampleTs(cluster: string, ts: number): Promise<number | undefined> {
    const id = await getClusterId(deps.db, cluster);
    if (id === undefined) return undefined;
    const row = await deps.db
      .selectFrom('node_samples')
      .select((eb) => eb.fn.max('ts').as('ts'))
      .where('cluster_id', '=', id)
      .where('ts', '<', ts)
      .executeTakeFirst();
    return row?.ts == null ? undefined : Number(row.ts);
  }

  async function fillCluster(client: PveClient, snap: ClusterSnapshot, fromTs: number, counter: { requests: number }): Promise<BackfillSamples> {
    const toTs = snap.ts;
    const nowSec = Math.floor(deps.now() / 1000);
    const out: BackfillSamples = { cluster: snap.cluster, guests: [], nodes: [] };
    if (hasMetricsExport(snap.info.pveVersion) && nowSec - fromTs <= METRICS_EXPORT_SECONDS) {
      counter.requests++;
      const data = await client.get<unknown>('/cluster/metrics/export', { history: true, 'start-time': fromTs });
      const list = Array.isArray(data) ? data : (data as { data?: unknown } | null)?.data;
      const p = parseItems(MetricItem, list);
      if (p.issues.length) log.warn({ cluster: snap.cluster, endpoint: client.endpoint(), path: '/cluster/metrics/export', issues: p.issues.length }, 'metrics export: malformed entries skipped');
      return { cluster: snap.cluster, ...rowsFromMetrics(p.items, fromTs, toTs) };
    }
    const tf = timeframeFor(nowSec, fromTs);
    const online = snap.nodes.filter((n) => n.status === 'online');
    await mapPool(online, concurrency, async (n) => {
      const path = `/nodes/${encodeURIComponent(n.node)}/rrddata`;
      try {
        counter.requests++;
        const p = parseItems(RrdRow, await client.get(path, { timeframe: tf, cf: 'AVERAGE' }));
        out.nodes.push(...nodeRowsFromRrd(n.node, p.items, fromTs, toTs));
      } catch (err) {
        log.warn({ cluster: snap.cluster, endpoint: client.endpoint(), path, err: errorMessage(err) }, 'node rrddata for backfill failed; skipped');
      }
    });
    const onlineNames = new Set(online.map((n) => n.node));
    // A guest stopped now may have run during the gap: running before it, or started/stopped in it
    // (tasks). Its rrddata keeps those rows, so it is asked too, after the running guests.
    const ran = await guestsActiveInGap(deps.db, snap.cluster, fromTs, toTs);
    const later: GuestJob[] = [];
    for (const g of snap.guests) {
      if (g.template || !onlineNames.has(g.node)) continue;
      const job = { cluster: snap.cluster, vmid: g.vmid, type: g.type, node: g.node, fromTs, toTs };
      if (g.status !== 'stopped') queue.push(job);
      else if (ran.has(g.vmid)) later.push(job);
    }
    queue.push(...later);
    return out;
  }

  async function drainGuests(counter: { requests: number }): Promise<Map<string, BackfillSamples['guests']>> {
    const take = queue.slice(0, guestBudget);
    queue = queue.slice(take.length);
    const rows = new Map<string, BackfillSamples['guests']>();
    const nowSec = Math.floor(deps.now() / 1000);
    await mapPool(take, concurrency, async (j) => {
      const client = deps.clients.get(j.cluster);
      if (!client) return;
      const path = `/nodes/${encodeURIComponent(j.node)}/${j.type}/${j.vmid}/rrddata`;
      try {
        counter.requests++;
        const p = parseItems(RrdRow, await client.get(path, { timeframe: timeframeFor(nowSec, j.fromTs), cf: 'AVERAGE' }));
        const list = rows.get(j.cluster) ?? [];
        list.push(...guestRowsFromRrd(j.vmid, j.type, p.items, j.fromTs, j.toTs));
        rows.set(j.cluster, list);
      } catch (err) {
        log.warn({ cluster: j.cluster, endpoint: client.endpoint(), path, err: errorMessage(err) }, 'guest rrddata for backfill failed; skipped');
      }
    });
    return rows;
  }

  return {
    /** run() for the agent cycle: fills, logs, returns nothing. */
    async run(outcomes: OutcomeLike[]): Promise<void> {
      await this.fill(outcomes);
    },
    /** Detects gaps in this cycle's stored clusters and fills what the budget allows. */
    async fill(outcomes: OutcomeLike[]): Promise<BackfillSummary> {
      const counter = { requests: 0 };
      const summary: BackfillSummary = { clusters: 0, requests: 0, guestRows: 0, nodeRows: 0, queued: 0 };
      const pending: BackfillSamples[] = [];
      for (const o of outcomes) {
        const snap = o.snapshot;
        const client = deps.clients.get(o.cluster);
        if (!o.ok || !snap || !client) continue;
        const prev = seen.has(o.cluster) ? seen.get(o.cluster) : await previousSampleTs(o.cluster, snap.ts);
        seen.set(o.cluster, snap.ts);
        const from = gapStart(prev, snap.ts, deps.intervalSeconds);
        if (from === undefined) continue;
        summary.clusters++;
        log.info({ cluster: o.cluster, fromTs: from, toTs: snap.ts, gapSeconds: snap.ts - from, newCluster: prev === undefined }, `backfilling ${o.cluster}: ${snap.ts - from} s of history`);
        try {
          pending.push(await fillCluster(client, snap, from, counter));
          failures.delete(o.cluster);
        } catch (err) {
          // a timeout under load must not leave the gap for good: keep its start for the next cycle
          const tries = (failures.get(o.cluster) ?? 0) + 1;
          const again = tries < MAX_TRIES;
          if (again) {
            failures.set(o.cluster, tries);
            seen.set(o.cluster, prev);
          } else failures.delete(o.cluster);
          log.warn({ cluster: o.cluster, endpoint: client.endpoint(), err: errorMessage(err), tries }, again ? `backfill of ${o.cluster} failed; tried again next cycle` : `backfill of ${o.cluster} failed ${tries} times; the gap stays`);
        }
      }
      const guestRows = await drainGuests(counter);
      for (const [cluster, rows] of guestRows) {
        const b = pending.find((p) => p.cluster === cluster);
        if (b) b.guests.push(...rows);
        else pending.push({ cluster, guests: rows, nodes: [] });
      }
      for (const b of pending) {
        if (!b.guests.length && !b.nodes.length) continue;
        await write(deps.db, b);
        summary.guestRows += b.guests.length;
        summary.nodeRows += b.nodes.length;
      }
      summary.requests = counter.requests;
      summary.queued = queue.length;
      if (summary.requests) log.info(summary, 'backfill done');
      return summary;
    },
  };
}
