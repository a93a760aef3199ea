// The fleet pages give the event loop a turn between pages (issue 17, scale bench): at 50,000
// guests the stage was one synchronous stretch of seconds, and the `*site` holder's lease timer
// could not renew meanwhile. Counted in event-loop turns, never timed.
import { describe, expect, it } from 'vitest';
import type { SiteData } from '../../agent/site/collect-site-data.ts';
import type { Entry } from '../../agent/site/publish.ts';
import { renderFleetPages } from '../../agent/site/render-fleet-pages.ts';
import { createRenderer } from '../../agent/site/render.ts';
import { loadAssets } from '../../agent/site/site-assets.ts';
import { paths } from '../../agent/site/site-paths.ts';

const NOW = 1_800_000_000;

/** `clusters` clusters of `nodes` nodes with `guests` guests each, as plain rows. */
function fleet(clusters: number, nodes: number, guests: number): SiteData {
  const d: SiteData = {
    clusters: [], nodes: [], guests: [], storages: [], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85,
    tasks: [], actions: [], pollRuns: [], nodeRaw: [], siteState: new Map(),
  } as unknown as SiteData;
  let vmid = 100;
  for (let c = 1; c <= clusters; c++) {
    d.clusters.push({ id: c, name: `c${c}`, pve_name: `c${c}`, pve_version: '9.0', quorate: 1, node_count: nodes, endpoint: 'https://127.0.0.1:8006', last_poll_at: NOW, last_ok_at: NOW, last_error: null, last_sample_ts: NOW } as SiteData['clusters'][number]);
    for (let n = 1; n <= nodes; n++) {
      const node = `pve${n}`;
      d.nodes.push({
        cluster_id: c, node, status: 'online', ip: `10.0.${c}.${n}`, maxcpu: 8, mem_total: 32 * 2 ** 30, uptime: 3600, cpu_model: 'x', kernel: '6.8', pve_version: '9.0', last_seen: NOW,
        cpu: 0.25, iowait: 0.01, load1: 1, load5: 1, load15: 1, mem_used: 8 * 2 ** 30, mem_available: 20 * 2 ** 30, swap_total: 0, swap_used: 0, rootfs_total: 100, rootfs_used: 50, netin_bps: 1000, netout_bps: 2000,
      } as SiteData['nodes'][number]);
      d.storages.push({ cluster_id: c, node, storage: 'local', type: 'dir', content: 'images', shared: 0, status: 'available', used: 50, total: 100, last_seen: NOW } as SiteData['storages'][number]);
      for (let g = 0; g < guests; g++, vmid++) {
        d.guests.push({ cluster_id: c, vmid, type: 'qemu', node, name: `vm-${vmid}`, status: 'running', template: 0, tags: null, pool: null, lock: null, hastate: null, maxcpu: 2, maxmem: 2 ** 31, maxdisk: 2 ** 34, first_seen: NOW - 86_400, changed_at: NOW - 60 } as SiteData['guests'][number]);
        d.now.set(`${c}/${vmid}`, { ts: NOW, cpu: 0.5, mem: 2 ** 30, disk: null, uptime: 600, netin: 10, netout: 20, diskread: 0, diskwrite: 0 });
      }
    }
  }
  return d;
}

const frame = () => ({ siteTitle: 'PMI', generatedAt: NOW, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets: loadAssets().names });

describe('fleet pages and the event loop', () => {
  it('gives the event loop at least one turn per cluster and node page', async () => {
    const d = fleet(6, 4, 5);
    let turns = 0;
    let on = true;
    const spin = () => {
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    const out = new Map<string, Entry>();
    const pages = await renderFleetPages(d, frame(), createRenderer(), (p, c) => out.set(p, c), { nodeDue: () => true, pageDue: () => true });
    on = false;
    expect(pages).toBeGreaterThanOrEqual(6 + 24);
    // one setImmediate chain advances one step per turn of the loop
    expect(turns).toBeGreaterThanOrEqual(d.clusters.length + d.nodes.length);
  });

  it('runs a callback queued while one page is emitted (a lease renewal, say) before the next page', async () => {
    const d = fleet(3, 3, 4);
    const order: string[] = [];
    let armed = false;
    await renderFleetPages(d, frame(), createRenderer(), (p) => {
      order.push(p);
      if (!armed && p === paths.cluster('c1')) {
        armed = true;
        setImmediate(() => order.push('renewal'));
      }
    }, { nodeDue: () => true, pageDue: () => true });
    const at = order.indexOf('renewal');
    expect(at).toBeGreaterThan(order.indexOf(paths.cluster('c1')));
    // before the next cluster's page, and long before the stage ends
    expect(at).toBeLessThan(order.indexOf(paths.cluster('c2')));
    expect(at).toBeLessThan(order.indexOf(paths.status));
  });

  it('counts each node\'s guests in its own cluster on the overview and cluster pages', async () => {
    const d = fleet(2, 2, 3);
    d.guests.push({ ...d.guests[0]!, vmid: 999 }); // a fourth guest on c1/pve1
    const out = new Map<string, Entry>();
    await renderFleetPages(d, frame(), createRenderer(), (p, c) => out.set(p, c), { nodeDue: () => true, pageDue: () => true });
    const nodesIndex = String(out.get(paths.nodesIndex));
    expect(nodesIndex).toMatch(/>4</);
    expect(nodesIndex).toMatch(/>3</);
  });
});
