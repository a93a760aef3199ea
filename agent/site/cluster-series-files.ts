// Side effects (issue 14 item 5): reads a cluster's series from the store and emits its chart
// files — data/clusters/<c>.json every cycle (the last hour), <c>.day.json and <c>.long.json
// when the node tier files are due (same schedule).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { queryClusterNodeTier, queryGuestRunDeltas } from '../store/cluster-series.repository.ts';
import { RAW_WINDOW_SECONDS, type SiteData } from './collect-site-data.ts';
import { tierQuery } from './roll-schedule.ts';
import { clusterRawJson, clusterTierJson } from './build-cluster-series.ts';
import { paths } from './site-paths.ts';
import { RawJson, toJson } from './encode-json.ts';
import { KEEP } from './publish.ts';
import type { Emit } from './render-fleet-pages.ts';
import type { TierQuery } from '../store/site-series.repository.ts';

export interface ClusterSeriesDeps {
  db: Kysely<Database>;
  data: Pick<SiteData, 'clusters' | 'nodes' | 'guests' | 'nodeRaw'>;
  nowSec: number;
  /** Whether the day and long files are due this cycle (else they are kept). */
  due: { day: boolean; long: boolean };
  emit: Emit;
}

/** Emits every cluster's chart files (KEEP: the file stays as it is). */
export async function emitClusterSeriesFiles(d: ClusterSeriesDeps): Promise<void> {
  for (const c of d.data.clusters) {
    const mine = d.data.guests.filter((g) => g.cluster_id === c.id);
    const running = { count: mine.filter((g) => g.status === 'running' && g.template !== 1).length, knownSince: mine.reduce((a, g) => Math.min(a, g.first_seen), Infinity) };
    const cores = new Map(d.data.nodes.filter((n) => n.cluster_id === c.id).map((n) => [n.node, n.maxcpu ?? 1]));
    const rawFrom = d.nowSec - RAW_WINDOW_SECONDS;
    const raw = d.data.nodeRaw.filter((s) => s.cluster_id === c.id && s.ts >= rawFrom);
    const tq = (src: 'day' | 'long.w' | 'long.m' | 'long.y') => tierQuery(src, d.nowSec);
    const longQueries = (['w', 'm', 'y'] as const).map((key) => [key, tq(`long.${key}`)] as const);
    // The run-count changes are read once, from the oldest start this cycle needs: runningAt()
    // counts back from now, so changes before a file's own start do not alter its points.
    const oldest = Math.min(rawFrom, ...(d.due.day ? [tq('day').from] : []), ...(d.due.long ? longQueries.map(([, q]) => q.from) : []));
    const deltas = await queryGuestRunDeltas(d.db, c.id, oldest);
    d.emit(paths.clusterData(c.name), clusterRawJson(c.name, raw, cores, deltas, running));
    const tier = async (q: TierQuery) => clusterTierJson(await queryClusterNodeTier(d.db, c.id, q), deltas, running, q, d.nowSec);
    d.emit(paths.clusterSeries(c.name, 'day'), d.due.day ? await tier(tq('day')) : KEEP);
    const long = d.due.long ? await Promise.all(longQueries.map(async ([key, q]) => [key, new RawJson(await tier(q))] as const)) : null;
    d.emit(paths.clusterSeries(c.name, 'long'), long ? toJson(Object.fromEntries(long)) : KEEP);
  }
}
