// Regressions (issue 12 items 2 and 3), the real agent against the simulator over HTTPS:
// - a node that answers 596 or malformed JSON looked healthy ("online", blank details, "Last
//   error: none", status.json error null): its poll errors are now stored (what, when, endpoint,
//   path) and shown on the node, cluster and agent pages and in status.json;
// - PVE 9 pressure stall and ZFS ARC (rrddata only) are shown on node and guest pages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { paths } from '../../agent/site/site-paths.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

let sim: SimHandle;
let agent: AgentParts;
let dirs: AgentDirs;
let store: Store;
let cluster: string;
let ok: string;
let n596: string;
let nBad: string;

const page = (p: string) => readFileSync(join(dirs.site, 'current', p), 'utf8');

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, clusters: 1, nodesPerCluster: 3, guests: 6, pveVersion: 9, authFailDelayMs: 50 });
  cluster = sim.clusters[0]!.name;
  [ok, n596, nBad] = sim.clusters[0]!.endpoints.map((e) => e.node) as [string, string, string];
  dirs = writeAgentConfig(sim, (c) => {
    c.clusters[0].endpoints = [sim.clusters[0]!.endpoints[0]!.url];
    c.pollIntervalSeconds = 60;
  });
  sim.faults.set({ cluster, node: n596, path: '/nodes/{node}/status' }, { kind: 'timeout596' });
  sim.faults.set({ cluster, path: new RegExp(`^/nodes/${nBad}/status$`) }, { kind: 'malformed' });
  agent = await openAgent(dirs.configPath, { logDestination: logSink().stream });
  const s = await agent.runCycle(); // a new cluster: its last day is backfilled from rrddata
  expect(s.failedStages).toEqual([]);
  store = await openDatabase(dirs.database, { migrate: false });
}, 180_000);

afterAll(async () => {
  await store?.close();
  await agent?.close();
  await sim?.stop();
});

describe('per-node poll errors', () => {
  it('are stored with what, when, endpoint and path', async () => {
    const rows = await store.db.selectFrom('poll_errors').selectAll().orderBy('node').execute();
    const byNode = new Map(rows.map((r) => [r.node, r]));
    const e596 = byNode.get(n596)!;
    expect(e596).toMatchObject({ path: `/nodes/${n596}/status`, endpoint: sim.clusters[0]!.endpoints[0]!.url, code: 'PVE_NODE_OFFLINE' });
    expect(e596.message).toMatch(/596/);
    expect(e596.ts).toBeGreaterThan(0);
    expect(byNode.get(nBad)).toMatchObject({ path: `/nodes/${nBad}/status` });
    expect(byNode.has(ok)).toBe(false);
  });

  it('status.json names them per cluster, for the latest cycle', () => {
    const st = JSON.parse(page('status.json')) as { clusters: Array<{ name: string; error: unknown; poll_errors_24h: number; node_errors: Array<{ node: string; path: string; code: string; endpoint: string }> }> };
    const c = st.clusters.find((x) => x.name === cluster)!;
    expect(c.poll_errors_24h).toBeGreaterThanOrEqual(2);
    expect(c.node_errors.map((e) => e.node).sort()).toEqual([n596, nBad].sort());
    expect(c.node_errors.find((e) => e.node === n596)).toMatchObject({ path: `/nodes/${n596}/status`, endpoint: sim.clusters[0]!.endpoints[0]!.url });
  });

  it('the node page of a failing node shows them; a healthy node says none', () => {
    const html = page(paths.node(cluster, n596));
    expect(html).toContain('Poll errors (last 24 h)');
    expect(html).toContain(`/nodes/${n596}/status`);
    expect(page(paths.node(cluster, ok))).toContain('No poll errors in the last 24 h.');
  });

  it('the cluster and agent pages list them', () => {
    for (const p of [paths.cluster(cluster), paths.agent]) {
      const html = page(p);
      expect(html, p).toContain('Poll errors (last 24 h)');
      expect(html, p).toContain(`/nodes/${n596}/status`);
      expect(html, p).toContain(`/nodes/${nBad}/status`);
    }
  });
});

describe('PVE 9 pressure stall and ZFS ARC on the pages', () => {
  it('node page: pressure and ARC from rrddata, with their time', () => {
    const html = page(paths.node(cluster, ok));
    expect(html).toContain('Pressure stall and ZFS ARC');
    expect(html).toContain('CPU pressure (some)');
    expect(html).toMatch(/ZFS ARC size<\/th><td>[\d.]+ [KMGT]iB/);
    expect(html).toMatch(/from Proxmox(&#39;|')s RRD history/);
  });

  it('guest page of a running guest: pressure (cpu some/full)', async () => {
    const g = await store.db.selectFrom('guest_pressure_samples').select('vmid').where('cpu_some', 'is not', null).executeTakeFirstOrThrow();
    const html = page(paths.guest(cluster, g.vmid));
    expect(html).toContain('Pressure stall');
    expect(html).toContain('CPU pressure (some / full)');
  });
});
