// A shared storage (NFS, Ceph: `shared: 1`) is reported by every node of its cluster and stored
// once per node; the overview's summary card and status.json's counts must count it once per cluster.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { collectSiteData } from '../../agent/site/collect-site-data.ts';
import { createRecentCache } from '../../agent/site/recent-cache.ts';
import { buildSummary } from '../../agent/site/build-fleet-model.ts';
import { buildStatusJson } from '../../agent/site/build-status-json.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const TS = 1_764_201_600;
let store: Store;
beforeEach(async () => {
  store = await openDatabase(':memory:');
});
afterEach(async () => store.close());

/** Three nodes reporting the same Ceph pool at 95 %, like a real cluster (and the simulator's `nas`). */
async function fleetWithFullSharedStorage() {
  const snap = syntheticSnapshot({ ts: TS, guests: 6, nodes: 3 });
  snap.storages = snap.storages.map((s) => (s.shared ? { ...s, used: Math.round((s.total ?? 0) * 0.95) } : s));
  expect(snap.storages.filter((s) => s.shared && s.storage === 'ceph')).toHaveLength(3);
  await writeSnapshot(store.db, snap);
  return collectSiteData(store.db, createRecentCache(), TS + 30, { nearFullRatio: 0.9 });
}

describe('shared storage counted once per cluster', () => {
  it('the overview summary card counts a full shared storage once, not once per node', async () => {
    const d = await fleetWithFullSharedStorage();
    expect(d.storages.filter((s) => s.storage === 'ceph')).toHaveLength(3); // stored per node
    expect(buildSummary(d, (p) => p).storageNearFull).toBe(1);
  });

  it('status.json counts.storage_near_full counts it once too', async () => {
    const d = await fleetWithFullSharedStorage();
    const doc = JSON.parse(buildStatusJson(d, TS + 30, 60, 180)) as { counts: { storage_near_full: number }; storage: unknown[] };
    expect(doc.counts.storage_near_full).toBe(1);
    expect(doc.storage.length).toBe(d.storages.length); // the per-node list (DATA-FORMAT.md) is unchanged
  });

  it('still counts two clusters sharing a storage name as two', async () => {
    const a = syntheticSnapshot({ ts: TS, guests: 3, nodes: 2 });
    const b = syntheticSnapshot({ ts: TS, guests: 3, nodes: 2, firstVmid: 500, cluster: 'other' });
    for (const s of [a, b]) {
      s.storages = s.storages.map((x) => (x.shared ? { ...x, used: Math.round((x.total ?? 0) * 0.95) } : x));
      await writeSnapshot(store.db, s);
    }
    const d = await collectSiteData(store.db, createRecentCache(), TS + 30, { nearFullRatio: 0.9 });
    expect(buildSummary(d, (p) => p).storageNearFull).toBe(2);
  });
});
