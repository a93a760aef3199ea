// Pure (issue 14 item 5): a cluster's chart series — CPU (core-weighted over its nodes), memory
// used and installed, network in/out, guests running — in the series format of node files
// (DATA-FORMAT.md), from node tier rows, raw node samples and the running-guest step function.
import type { ClusterTierRow, RunDelta } from '../store/cluster-series.repository.ts';
import type { TierQuery } from '../store/site-series.repository.ts';
import type { RawNodeSample } from '../store/site-samples.repository.ts';
import { kib, mib, seriesJson, sig3 } from './encode-series.ts';
import { pointSeries, toJson } from './encode-json.ts';
import { groupBy } from './group-by.ts';

/** The charts of a cluster page (drawn by the site's chart code like node charts). */
export const CLUSTER_CHARTS = [
  { id: 'cpu', title: 'CPU (all nodes)', unit: 'pct', metrics: [{ key: 'cpu', name: 'CPU' }] },
  { id: 'mem', title: 'Memory (all nodes)', unit: 'mib', metrics: [{ key: 'mem', name: 'used' }, { key: 'mt', name: 'installed' }] },
  { id: 'net', title: 'Network (all nodes)', unit: 'rate', metrics: [{ key: 'ni', name: 'in' }, { key: 'no', name: 'out' }] },
  { id: 'run', title: 'Guests running', unit: 'count', metrics: [{ key: 'run', name: 'running' }] },
];

/** What the running-guest count is walked back from: the count now and since when the agent knows the guests. */
export interface RunningNow {
  count: number;
  /** Before this (the cluster's first sighting, e.g. backfilled history) the count is unknown: null, not 0. */
  knownSince: number;
}

/**
 * running(t) = the count now minus the changes after t. `deltas` in time order; returns a
 * function to be called with non-decreasing t.
 */
export function runningAt(now: RunningNow, deltas: RunDelta[]): (t: number) => number | null {
  let after = deltas.reduce((a, d) => a + d.delta, 0);
  let k = 0;
  return (t: number) => {
    while (k < deltas.length && deltas[k]!.ts <= t) after -= deltas[k++]!.delta;
    return t < now.knownSince ? null : Math.max(0, now.count - after);
  };
}
const int = (x: number | null) => (x === null ? 'null' : String(Math.round(x)));

/** One tier file part from the per-bucket node sums; guests running at each bucket's end. */
export function clusterTierJson(rows: ClusterTierRow[], deltas: RunDelta[], runningNow: RunningNow, q: TierQuery, nowSec: number): string {
  const run = runningAt(runningNow, deltas);
  const col: Record<string, string[]> = { cpu: [], mem: [], mt: [], ni: [], no: [], run: [] };
  const i: number[] = [];
  for (const r of rows) {
    i.push(r.b);
    col.cpu!.push(sig3(r.cpu));
    col.mem!.push(mib(r.mem));
    col.mt!.push(mib(r.memTotal));
    col.ni!.push(kib(r.netin));
    col.no!.push(kib(r.netout));
    col.run!.push(int(run(Math.min(nowSec, q.from + (r.b + 1) * q.group - 1))));
  }
  return seriesJson({ t0: q.from, step: q.group, i: i.join(','), metrics: Object.fromEntries(Object.entries(col).map(([k, v]) => [k, v.join(',')])) });
}

/** The cluster's JSON with the raw series of the last ~hour (like a node's JSON). */
export function clusterRawJson(cluster: string, raw: RawNodeSample[], cores: Map<string, number>, deltas: RunDelta[], runningNow: RunningNow): string {
  const run = runningAt(runningNow, deltas);
  // A sum over the nodes that have the value (null when none has it).
  const sum = (a: RawNodeSample[], f: (s: RawNodeSample) => number | null) => a.reduce<number | null>((t, s) => (f(s) === null ? t : (t ?? 0) + f(s)!), null);
  const pts = [...groupBy(raw, (s) => s.ts)].sort(([a], [b]) => a - b).map(([ts, a]) => {
    const withCpu = a.filter((s) => s.cpu !== null);
    const coreSum = withCpu.reduce((t, s) => t + (cores.get(s.node) ?? 1), 0);
    const cpu = coreSum ? withCpu.reduce((t, s) => t + s.cpu! * (cores.get(s.node) ?? 1), 0) / coreSum : null;
    return { ts, v: [cpu, sum(a, (s) => s.mem_used), sum(a, (s) => s.mem_total), sum(a, (s) => s.netin_bps), sum(a, (s) => s.netout_bps), run(ts)] };
  });
  return toJson({ v: 1, cluster, raw: pointSeries(pts, [['cpu', (x) => sig3(x === null ? null : x * 100)], ['mem', mib], ['mt', mib], ['ni', kib], ['no', kib], ['run', int]]) });
}
