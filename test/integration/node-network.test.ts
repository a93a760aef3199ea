// Node network for the charts (issue 14 item 4): Proxmox's node status has no network counters, so
// the agent reads each node's rrddata at a slow cadence and fills the network of the node's stored
// samples. The simulator over real HTTPS, a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { createNodeNetTier } from '../../agent/poll/node-net-tier.ts';
import { fillNodeNetwork } from '../../agent/store/node-network.repository.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

describe('node network from rrddata', () => {
  let sim: SimHandle;
  let store: Store;
  let dir: string;
  let now = Date.UTC(2026, 11, 7, 9, 0, 30);
  beforeAll(async () => {
    sim = await startSimulator({ seed: 5, clusters: 1, nodesPerCluster: 3, guests: 10, now: () => now });
    dir = mkdtempSync(join(tmpdir(), 'pmi-node-net-'));
    store = await openDatabase(join(dir, 'pmi.sqlite'));
  });
  afterAll(async () => {
    await store?.close();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const nullNet = async () => (await store.db.selectFrom('node_samples').select(['node', 'ts']).where('netin_bps', 'is', null).execute()).length;

  it('fills the stored samples of each node, one request per node and period, spread over the period', async () => {
    const { log } = logSink([sim.tokenSecret]);
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)], sim.tokenSecret, 0);
    const poller = pollerFor(clients, log, { now: () => now });
    // a 3-cycle period at 60 s: one of the three nodes per cycle
    const tier = createNodeNetTier({ clients, log, intervalSeconds: 60, everySeconds: 180, write: (c, n, rows) => fillNodeNetwork(store.db, c, n, rows) });
    const perCycle: number[] = [];
    try {
      for (let cycle = 0; cycle < 6; cycle++) {
        const outcomes = await poller.pollAll();
        for (const o of outcomes) if (o.snapshot) await writeSnapshot(store.db, o.snapshot);
        if (cycle === 0) expect(await nullNet(), 'live node samples have no network').toBe(3);
        const before = sim.stats().byRoute['GET /nodes/{node}/rrddata'] ?? 0;
        await tier.runCycle(outcomes);
        perCycle.push((sim.stats().byRoute['GET /nodes/{node}/rrddata'] ?? 0) - before);
        expect(tier.lastRequests()).toBe(perCycle[perCycle.length - 1]);
        now += 60_000;
      }
    } finally {
      await closeAll(clients);
    }
    expect(perCycle).toEqual([1, 1, 1, 1, 1, 1]);
    const rows = await store.db.selectFrom('node_samples').select(['node', 'ts', 'netin_bps', 'netout_bps']).orderBy('ts').execute();
    expect(rows.length).toBe(18);
    // every sample older than the last read of its node has its network now
    const filled = rows.filter((r) => r.netin_bps !== null && r.netout_bps !== null);
    expect(new Set(filled.map((r) => r.node)).size, JSON.stringify(rows)).toBe(3);
    expect(filled.length).toBeGreaterThanOrEqual(9);
    for (const r of filled) expect(r.netin_bps!).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
