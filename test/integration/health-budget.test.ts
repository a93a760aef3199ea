// The request budget (issue #15 item 2): one simulated hour of cycles at a 60 s interval with the
// default health periods. The fast loop stays ≤ 4 per cluster + 1 per online node per cycle; the
// slower tiers add ≤ 12 per node + 12 per cluster per hour, spread (no cycle carries a burst).
// Counted by the simulator itself (its per-route statistics), not by the agent.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { HealthConfig } from '../../agent/config/health-config.schema.ts';
import { createHealthStage } from '../../agent/health/health-stage.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

const FAST = new Set(['GET /version', 'GET /cluster/status', 'GET /cluster/resources', 'GET /cluster/tasks', 'GET /nodes/{node}/status']);

describe('request budget over one hour of cycles (2 clusters × 4 nodes)', () => {
  let sim: SimHandle;
  let store: Store;
  let now = Date.UTC(2026, 11, 7, 9, 0, 0);
  beforeAll(async () => {
    sim = await startSimulator({ seed: 11, clusters: 2, nodesPerCluster: 4, guests: 80, now: () => now });
    store = await openDatabase(join(mkdtempSync(join(tmpdir(), 'pmi-health-budget-')), 'pmi.sqlite'));
  });
  afterAll(async () => {
    await store?.close();
    await sim?.stop();
  });

  it('fast loop ≤ 4C + N per cycle; health ≤ 12N + 12C per hour with no burst; total within 60×(4C+N) + 12N + 12C', async () => {
    const { log } = logSink([sim.tokenSecret]);
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0), clusterConfig(sim, 1)], sim.tokenSecret, 0);
    const poller = pollerFor(clients, log, { now: () => now });
    const health = createHealthStage({ clients, db: store.db, log, now: () => now, intervalSeconds: 60, config: HealthConfig.parse({}) });
    const C = 2;
    const N = 8;
    const healthPerCycle: number[] = [];
    let fastMax = 0;
    let total = 0;
    sim.resetStats();
    try {
      for (let cycle = 0; cycle < 60; cycle++) {
        const before = sim.stats().byRoute;
        const fastBefore = Object.entries(before).filter(([k]) => FAST.has(k)).reduce((a, [, v]) => a + v, 0);
        const outcomes = await poller.pollAll();
        for (const o of outcomes) if (o.snapshot) await writeSnapshot(store.db, o.snapshot);
        const mid = sim.stats();
        const fast = Object.entries(mid.byRoute).filter(([k]) => FAST.has(k)).reduce((a, [, v]) => a + v, 0) - fastBefore;
        fastMax = Math.max(fastMax, fast);
        await health.run(outcomes);
        const after = sim.stats();
        healthPerCycle.push(after.requests - mid.requests);
        total = after.requests;
        now += 60_000;
      }
    } finally {
      await closeAll(clients);
    }
    const healthTotal = healthPerCycle.reduce((a, b) => a + b, 0);
    expect(fastMax).toBeLessThanOrEqual(4 * C + N);
    expect(healthTotal, JSON.stringify(sim.stats().byRoute)).toBeLessThanOrEqual(12 * N + 12 * C);
    expect(total).toBeLessThanOrEqual(60 * (4 * C + N) + 12 * N + 12 * C);
    // spread: no cycle carries a burst (an even spread is ≈ healthTotal / 60 per cycle; the vzdump
    // backlog drains at logsPerNodePerHour, one log at a time per cluster)
    expect(Math.max(...healthPerCycle)).toBeLessThanOrEqual(Math.ceil(healthTotal / 60) + C + 3);
    // and every signal got read within the hour except the 6-hourly ones' later slots
    const read = new Set((await store.db.selectFrom('clusters').select('id').execute()).map((r) => r.id));
    expect(read.size).toBe(2);
  }, 180_000);
});
