// The menu's index pages and search.json (issue #14 item 8), rendered with the real templates.
import { describe, expect, it } from 'vitest';
import { renderIndexPages } from '../../agent/site/render-fleet-pages.ts';
import { createRenderer } from '../../agent/site/render.ts';
import { loadAssets } from '../../agent/site/site-assets.ts';
import { KEEP, type Entry } from '../../agent/site/publish.ts';
import type { SiteData } from '../../agent/site/collect-site-data.ts';
import type { GuestRow } from '../../agent/store/site-inventory.repository.ts';

const guest = (vmid: number, name: string): GuestRow => ({ cluster_id: 1, vmid, type: 'qemu', node: 'n1', name, status: 'running', template: 0, tags: 'prod', pool: null, lock: null, hastate: null, maxcpu: 1, maxmem: 1, maxdisk: 1, first_seen: 0, changed_at: vmid });

describe('index pages', () => {
  it('renders clusters, nodes and guests pages and a search index that follows a renamed guest', async () => {
    const render = createRenderer();
    const frame = { siteTitle: 'PMI', generatedAt: 1_800_000_000, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets: loadAssets().names };
    const base = {
      clusters: [{ id: 1, name: 'c1', pve_name: null, pve_version: null, quorate: 0, node_count: 1, endpoint: null, last_poll_at: null, last_ok_at: null, last_error: null, last_sample_ts: null }],
      nodes: [{ cluster_id: 1, node: 'n1', status: 'online' }],
      storages: [], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85,
    } as unknown as SiteData;
    const build = async (guests: GuestRow[]) => {
      const out = new Map<string, Entry>();
      await renderIndexPages({ ...base, guests }, frame, render, (p, c) => out.set(p, c), {});
      return out;
    };
    const first = await build([guest(100, 'alpha'), guest(101, 'beta')]);
    expect(String(first.get('clusters.html'))).toMatch(/<td class="bad">NOT quorate<\/td><td data-v="1">1 \/ 1 online<\/td><td data-v="2">2 \/ 2 running/);
    expect(String(first.get('nodes.html'))).toContain('href="nodes/c1/n1.html"');
    expect(String(first.get('guests.html'))).toContain('href="g/c1/1xx/101.html">beta</a>');
    const items = (j: Entry | undefined) => (JSON.parse(String(j)) as { items: string[][] }).items.map((r) => r[4]);
    expect(items(first.get('search.json'))).toEqual(['alpha 100 prod n1 c1', 'beta 101 prod n1 c1', 'n1 c1', 'c1']);
    const second = await build([guest(100, 'alpha'), guest(101, 'gamma')]);
    expect(items(second.get('search.json'))).toContain('gamma 101 prod n1 c1');
  });

  it('engine (#13): guests.html carries no current values and is re-rendered only when the inventory changes', async () => {
    const render = createRenderer();
    const frame = { siteTitle: 'PMI', generatedAt: 1_800_000_000, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets: loadAssets().names };
    const digests = new Map<string, string>();
    const pageDue = (p: string, digest: string) => {
      const due = digests.get(p) !== digest;
      digests.set(p, digest);
      return due;
    };
    const base = {
      clusters: [{ id: 1, name: 'c1', pve_name: null, pve_version: null, quorate: 1, node_count: 1, endpoint: null, last_poll_at: null, last_ok_at: null, last_error: null, last_sample_ts: null }],
      nodes: [{ cluster_id: 1, node: 'n1', status: 'online' }],
      storages: [], failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85,
    } as unknown as SiteData;
    const now = (cpu: number) => new Map([['1/100', { ts: 1, cpu, mem: 512 * 1048576, disk: null, uptime: 4000, netin: null, netout: null, diskread: null, diskwrite: null }]]);
    const build = async (guests: GuestRow[], cpu: number, at: number) => {
      const out = new Map<string, Entry>();
      await renderIndexPages({ ...base, guests, now: now(cpu) }, { ...frame, generatedAt: at }, render, (p, c) => out.set(p, c), { pageDue });
      return out.get('guests.html');
    };
    const guests = [guest(100, 'alpha'), guest(101, 'beta')];
    const first = String(await build(guests, 0.42, frame.generatedAt));
    // The live columns are there, empty: site.js fills them from status.json.
    expect(first).toContain('live-guests');
    expect(first).not.toContain('42');
    expect(first).not.toMatch(/<span class="v">\d/);
    // A cycle later only the values moved: the page is kept (same array, or an equal copy).
    expect(await build(guests, 0.55, frame.generatedAt + 60)).toBe(KEEP);
    expect(await build([...guests], 0.55, frame.generatedAt + 120)).toBe(KEEP);
    // A renamed guest (its row's changed_at moves) re-renders it.
    expect(String(await build([guest(100, 'alpha'), { ...guest(101, 'gamma'), changed_at: 999 }], 0.55, frame.generatedAt + 180))).toContain('>gamma</a>');
  });
});
