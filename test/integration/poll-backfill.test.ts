// Backfill against the simulator: pull-metrics export on PVE ≥ 8.2.5, rrddata (budgeted per guest)
// on PVE 7, a day of history for a new cluster, nothing when there is no gap.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createBackfiller } from '../../agent/poll/backfill.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

async function setup(pveVersion: 7 | 8, guests: number) {
  const sim = await startSimulator({ seed: 21, pveVersion, guests, nodesPerCluster: 3 });
  const { log } = logSink();
  const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
  const poller = pollerFor(clients, log);
  const store = await openDatabase(join(mkdtempSync(join(tmpdir(), 'pmi-bf-')), 'pmi.sqlite'));
  const count = async (table: 'node_samples' | 'guest_samples') =>
    Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const done = async () => {
    await closeAll(clients);
    await store.close();
    await sim.stop();
  };
  return { sim, log, clients, poller, store, count, done };
}

describe('backfill', () => {
  it('PVE 8.4 and a 10-minute gap: one /cluster/metrics/export call fills nodes and guests', async () => {
    const t = await setup(8, 30);
    const [first] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, { ...first!.snapshot!, ts: first!.snapshot!.ts - 600 }); // as if the agent had stopped 10 min ago
    const [now] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, now!.snapshot!);
    const bf = createBackfiller({ clients: t.clients, db: t.store.db, log: t.log, now: () => Date.now(), intervalSeconds: 60 });
    t.sim.resetStats();
    const s = await bf.fill([now!]);
    expect(t.sim.stats().byPath).toEqual({ '/cluster/metrics/export': 1 });
    expect(s.requests).toBe(1);
    expect(s.nodeRows).toBeGreaterThanOrEqual(3 * 50); // 10 s generations over ~10 min, 3 nodes
    expect(s.guestRows).toBeGreaterThan(0);
    const rows = await t.store.db.selectFrom('node_samples').select(['ts', 'cpu', 'netin_bps']).orderBy('ts').execute();
    // The gap runs from the stored sample (the first poll's ts - 600) to this poll's ts: not 600 s
    // before this poll, which is later than the first by however long the first took (a 10 s
    // generation more under load: 177 of 180 rows counted once).
    const inGap = rows.filter((r) => r.ts > first!.snapshot!.ts - 600 && r.ts < now!.snapshot!.ts);
    expect(inGap.length).toBe(s.nodeRows);
    expect(inGap.some((r) => r.netin_bps !== null && r.netin_bps >= 0)).toBe(true);
    // no gap now: nothing to do
    const [again] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, again!.snapshot!);
    expect((await bf.fill([again!])).requests).toBe(0);
    await t.done();
  });

  it('a fill that fails (timeout, 500) is tried again next cycle from the same gap start, at most three times', async () => {
    const t = await setup(8, 10);
    const [first] = await t.poller.pollAll();
    const gapFrom = first!.snapshot!.ts - 600;
    await writeSnapshot(t.store.db, { ...first!.snapshot!, ts: gapFrom });
    const cluster = first!.cluster;
    const bf = createBackfiller({ clients: t.clients, db: t.store.db, log: t.log, now: () => Date.now(), intervalSeconds: 60 });
    const cycle = async () => {
      const [o] = await t.poller.pollAll();
      await writeSnapshot(t.store.db, o!.snapshot!);
      return { s: await bf.fill([o!]), ts: o!.snapshot!.ts };
    };
    t.sim.faults.set({ cluster, path: '/cluster/metrics/export' }, { kind: 'error500', message: 'simulated' });
    const failed = await cycle();
    expect(failed.s).toMatchObject({ clusters: 1, nodeRows: 0 });
    t.sim.faults.clear({ cluster });
    const second = await cycle();
    expect(second.s.clusters).toBe(1);
    // the 10 minutes before the failed cycle are filled: the gap's start was kept
    const inGap = await t.store.db.selectFrom('node_samples').select('ts').where('ts', '>', gapFrom).where('ts', '<', failed.ts).execute();
    expect(inGap.length).toBeGreaterThanOrEqual(3 * 50);
    // a gap that keeps failing is given up after three tries
    const [o] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, { ...o!.snapshot!, ts: o!.snapshot!.ts + 600 });
    t.sim.faults.set({ cluster, path: '/cluster/metrics/export' }, { kind: 'error500', message: 'simulated' });
    const tries: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [n] = await t.poller.pollAll();
      const snap = { ...n!.snapshot!, ts: n!.snapshot!.ts + 1200 + i };
      await writeSnapshot(t.store.db, snap);
      tries.push((await bf.fill([{ ...n!, snapshot: snap }])).clusters);
    }
    expect(tries).toEqual([1, 1, 1, 0]);
    await t.done();
  });

  it('PVE 7: node rrddata at once, per-guest rrddata within the per-cycle budget, the rest next cycle', async () => {
    const t = await setup(7, 12);
    const [first] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, { ...first!.snapshot!, ts: first!.snapshot!.ts - 900 });
    const [now] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, now!.snapshot!);
    const running = now!.snapshot!.guests.filter((g) => g.status !== 'stopped' && !g.template).length;
    expect(running).toBeGreaterThan(3);
    const bf = createBackfiller({ clients: t.clients, db: t.store.db, log: t.log, now: () => Date.now(), intervalSeconds: 60, guestCallsPerCycle: 3 });
    t.sim.resetStats();
    const s1 = await bf.fill([now!]);
    const by = t.sim.stats().byPath;
    expect(by['/cluster/metrics/export']).toBeUndefined();
    expect(by['/nodes/{node}/rrddata']).toBe(3);
    expect((by['/nodes/{node}/qemu/{vmid}/rrddata'] ?? 0) + (by['/nodes/{node}/lxc/{vmid}/rrddata'] ?? 0)).toBe(3);
    expect(s1).toMatchObject({ requests: 6, queued: running - 3 });
    expect(s1.nodeRows).toBeGreaterThanOrEqual(3 * 13); // 60 s rows over 15 min
    expect(s1.guestRows).toBeGreaterThan(0);
    const [next] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, next!.snapshot!);
    const s2 = await bf.fill([next!]);
    expect(s2.requests).toBe(Math.min(3, running - 3));
    await t.done();
  });

  it('a new cluster gets a day of node history (day timeframe)', async () => {
    const t = await setup(8, 6);
    const [r] = await t.poller.pollAll();
    await writeSnapshot(t.store.db, r!.snapshot!);
    const bf = createBackfiller({ clients: t.clients, db: t.store.db, log: t.log, now: () => Date.now(), intervalSeconds: 60, guestCallsPerCycle: 0 });
    const s = await bf.fill([r!]);
    expect(s.clusters).toBe(1);
    const oldest = await t.store.db.selectFrom('node_samples').select((eb) => eb.fn.min('ts').as('ts')).executeTakeFirstOrThrow();
    expect(r!.snapshot!.ts - Number(oldest.ts)).toBeGreaterThan(20 * 3600);
    await t.done();
  });
});
