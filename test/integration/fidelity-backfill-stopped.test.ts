// Regression (issue 12 item 5): backfill skipped guests that were stopped at poll time, so a guest
// that ran during the outage got no history although rrddata keeps its rows. The simulator over
// HTTPS (PVE 7: per-guest rrddata), a guest that stops during the gap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { stopProcess } from '../../scripts/pve-sim/guest-state.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createBackfiller } from '../../agent/poll/backfill.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

describe('backfill of guests stopped at poll time', () => {
  it('a guest that ran during the gap and is stopped now gets its history, within the per-cycle budget', async () => {
    const sim = await startSimulator({ seed: 5, pveVersion: 7, guests: 8, nodesPerCluster: 2 });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const poller = pollerFor(clients, log);
    const dir = mkdtempSync(join(tmpdir(), 'pmi-bf-stopped-'));
    const store = await openDatabase(join(dir, 'pmi.sqlite'));
    try {
      const [first] = await poller.pollAll();
      const gapFrom = first!.snapshot!.ts - 900;
      await writeSnapshot(store.db, { ...first!.snapshot!, ts: gapFrom }); // as if the agent stopped 15 min ago
      // a guest that was running then stops during the outage, by itself (no task)
      const running = first!.snapshot!.guests.filter((g) => g.status === 'running' && !g.template);
      const victim = running[0]!;
      const simGuest = sim.world.clusters[0]!.guests.get(victim.vmid)!;
      stopProcess(simGuest, Math.floor(Date.now() / 1000));
      const [now] = await poller.pollAll();
      expect(now!.snapshot!.guests.find((g) => g.vmid === victim.vmid)!.status).toBe('stopped');
      await writeSnapshot(store.db, now!.snapshot!);

      const budget = running.length; // exactly the running guests' calls this cycle
      const bf = createBackfiller({ clients, db: store.db, log, now: () => Date.now(), intervalSeconds: 60, guestCallsPerCycle: budget });
      const s1 = await bf.fill([now!]);
      // running guests first; the stopped one is queued behind them, not dropped
      expect(s1.queued).toBe(1);
      const [next] = await poller.pollAll();
      await writeSnapshot(store.db, next!.snapshot!);
      await bf.fill([next!]);
      const rows = await store.db
        .selectFrom('guest_samples').select(['ts', 'cpu'])
        .where('vmid', '=', victim.vmid).where('ts', '>', gapFrom).where('ts', '<', now!.snapshot!.ts)
        .execute();
      expect(rows.length, `guest ${victim.vmid} got no history for the gap`).toBeGreaterThan(5);
      expect(rows.every((r) => r.cpu !== null)).toBe(true);
    } finally {
      await closeAll(clients);
      await store.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
