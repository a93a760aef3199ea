// Model and render stages without a database: a fleet given as plain rows renders every fleet
// page, node and cluster file and status.json; the JSON files come out of the one encoder.
import { describe, expect, it } from 'vitest';
import type { SiteData } from '../../agent/site/collect-site-data.ts';
import { clusterRawJson } from '../../agent/site/build-cluster-series.ts';
import type { Entry } from '../../agent/site/publish.ts';
import { renderFleetPages } from '../../agent/site/render-fleet-pages.ts';
import { createRenderer } from '../../agent/site/render.ts';
import { loadAssets } from '../../agent/site/site-assets.ts';
import { paths } from '../../agent/site/site-paths.ts';

const NOW = 1_800_000_000;

function fleet(): SiteData {
  const node = {
    cluster_id: 1, node: 'pve1', status: 'online', ip: '10.0.0.1', maxcpu: 8, mem_total: 32 * 2 ** 30, uptime: 3600, cpu_model: 'x', kernel: '6.8', pve_version: '9.0', last_seen: NOW,
    cpu: 0.25, iowait: 0.01, load1: 1, load5: 1, load15: 1, mem_used: 8 * 2 ** 30, mem_available: 20 * 2 ** 30, swap_total: 0, swap_used: 0, rootfs_total: 100, rootfs_used: 50, netin_bps: 1000, netout_bps: 2000,
  };
  return {
    clusters: [{ id: 1, name: 'lab', pve_name: 'lab', pve_version: '9.0', quorate: 1, node_count: 1, endpoint: 'https://127.0.0.1:8006', last_poll_at: NOW, last_ok_at: NOW, last_error: null, last_sample_ts: NOW }],
    nodes: [node],
    guests: [{ cluster_id: 1, vmid: 101, type: 'qemu', node: 'pve1', name: 'web<1>', status: 'running', template: 0, tags: 'a;b', pool: null, lock: null, hastate: null, maxcpu: 2, maxmem: 2 ** 31, maxdisk: 2 ** 34, first_seen: NOW - 86_400, changed_at: NOW - 60 }],
    storages: [{ cluster_id: 1, node: 'pve1', storage: 'local', type: 'dir', content: 'images', shared: 0, status: 'available', used: 90, total: 100, last_seen: NOW }],
    now: new Map([['1/101', { ts: NOW, cpu: 0.5, mem: 2 ** 30, disk: null, uptime: 600, netin: 10, netout: 20, diskread: 0, diskwrite: 0 }]]),
    failedTasks24h: 0,
    failedActions24h: 0,
    nearFullRatio: 0.85,
    tasks: [],
    actions: [],
    pollRuns: [],
    nodeRaw: [0, 60, 120].map((d) => ({ ts: NOW - 120 + d, cluster_id: 1, node: 'pve1', cpu: 0.2, iowait: 0, load1: 1, mem_total: 100, mem_used: 50, mem_available: 60, netin_bps: 1024, netout_bps: 0 })),
    siteState: new Map(),
  };
}

describe('render stage without a database', () => {
  it('renders the fleet pages and JSON files from plain rows', async () => {
    const out = new Map<string, Entry>();
    const frame = { siteTitle: 'PMI', generatedAt: NOW, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets: loadAssets().names };
    const pages = await renderFleetPages(fleet(), frame, createRenderer(), (p, c) => out.set(p, c), { nodeDue: () => true, pageDue: () => true });
    expect(pages).toBeGreaterThanOrEqual(9);
    for (const p of [paths.overview, paths.cluster('lab'), paths.node('lab', 'pve1'), paths.storage, paths.tasks, paths.actions, paths.agent, paths.guestsIndex]) {
      expect(String(out.get(p))).toContain('<html');
    }
    expect(String(out.get(paths.guestsIndex))).toContain('web&lt;1&gt;');
    const node = JSON.parse(String(out.get(paths.nodeData('lab', 'pve1'))));
    expect(node).toMatchObject({ v: 1, cluster: 'lab', node: 'pve1', status: 'online', raw: { t0: NOW - 120, step: 60, n: 3, cpu: [20, 20, 20], ni: [1, 1, 1] } });
    // An all-zero metric is left out of the series (the browser reads a missing metric as zeros).
    expect(node.raw.io).toBeUndefined();
    const status = JSON.parse(String(out.get(paths.status)));
    expect(status.clusters[0].name).toBe('lab');
  });

  it('decides "empty" on the model: a cluster without samples has a series with no points', () => {
    const doc = JSON.parse(clusterRawJson('lab', [], new Map(), [], { count: 0, knownSince: 0 }));
    expect(doc).toEqual({ v: 1, cluster: 'lab', raw: { t0: 0, step: 1, n: 0 } });
  });
});
