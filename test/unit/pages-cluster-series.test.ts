// Issue 14 item 5: a cluster's chart series from its nodes' samples and its guests' status changes.
import { describe, expect, it } from 'vitest';
import { clusterRawJson, clusterTierJson, runningAt } from '../../agent/site/build-cluster-series.ts';

const node = (ts: number, name: string, cpu: number, mem: number) => ({ ts, cluster_id: 1, node: name, cpu, iowait: 0, load1: 1, mem_total: 1024 * 1048576, mem_used: mem * 1048576, mem_available: null, netin_bps: 2048, netout_bps: 1024 });

describe('cluster series', () => {
  it('walks the running count back through status changes, unknown before the first sighting', () => {
    const run = runningAt({ count: 5, knownSince: 100 }, [{ ts: 200, delta: 1 }, { ts: 300, delta: -1 }, { ts: 300, delta: -1 }]);
    expect([50, 150, 250, 350].map(run)).toEqual([null, 6, 7, 5]);
  });

  it('weights CPU by cores and sums memory and network over the nodes', () => {
    const json = JSON.parse(clusterRawJson('c1', [node(1000, 'a', 0.5, 100), node(1000, 'b', 0.1, 300), node(1010, 'a', 1, 100), node(1010, 'b', 0, 300)], new Map([['a', 4], ['b', 12]]), [], { count: 3, knownSince: 0 })) as { raw: Record<string, unknown> };
    expect(json.raw).toMatchObject({ t0: 1000, step: 10, n: 2, cpu: [20, 25], mem: [400, 400], mt: [2048, 2048], ni: [4, 4], no: [2, 2], run: [3, 3] });
  });

  it('encodes tier rows with the running count at the end of each bucket', () => {
    const rows = [{ b: 0, cpu: 10, mem: 2 ** 30, memTotal: 2 ** 31, netin: 1024, netout: 2048 }, { b: 2, cpu: 30, mem: 2 ** 30, memTotal: 2 ** 31, netin: 1024, netout: 2048 }];
    const s = JSON.parse(clusterTierJson(rows, [{ ts: 1350, delta: 2 }], { count: 4, knownSince: 0 }, { tier: '5m', from: 1000, group: 300 }, 5000)) as Record<string, unknown>;
    expect(s).toMatchObject({ t0: 1000, step: 300, n: 2, i: [0, 2], cpu: [10, 30], mem: [1024, 1024], mt: [2048, 2048], run: [2, 4] });
  });
});
