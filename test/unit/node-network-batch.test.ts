// Node network (charts #14 item 4): a node's rrddata rows fill its stored samples in one UPDATE per
// node and batch (review finding: it was one UPDATE per rrddata row, ~70 per node and read), on
// SQLite and on PostgreSQL.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { fillNodeNetwork, type NodeNetRow } from '../../agent/store/node-network.repository.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { openTestStore, rawQuery, STORE_BACKENDS, type TestStore } from '../support/store-backends.ts';

const T0 = 1_764_201_600;

describe.each(STORE_BACKENDS)('on %s', (backend) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(backend);
    // three nodes, six live samples each, with no network (as the live node status gives them)
    for (let k = 0; k < 6; k++) {
      const snap = syntheticSnapshot({ ts: T0 + k * 60, guests: 3, nodes: 3 });
      snap.nodes = snap.nodes.map((n) => ({ ...n, netinBps: null, netoutBps: null }));
      await writeSnapshot(store.db, snap);
    }
  });
  afterEach(async () => store.close());

  it('fills a node\'s samples in one UPDATE, keeps values already there and leaves other nodes alone', async () => {
    await rawQuery(store, 'update node_samples set netin_bps = 7, netout_bps = 8 where node = ? and ts = ?', ['pve1', T0 + 120]);
    let updates = 0;
    const counter: KyselyPlugin = {
      transformQuery: (a) => {
        if (a.node.kind === 'UpdateQueryNode') updates++;
        return a.node;
      },
      transformResult: async (a) => a.result,
    };
    // rrddata rows every 60 s, 30 s before each sample; one missing step (T0 + 210)
    const rows: NodeNetRow[] = [0, 1, 2, 4, 5].map((k) => ({ ts: T0 - 30 + k * 60, netinBps: 1000.4 + k, netoutBps: k === 4 ? null : 500 + k }));
    const updated = await fillNodeNetwork(store.db.withPlugin(counter), 'lab', 'pve1', rows);
    expect(updates).toBe(1);
    expect(updated).toBe(4);
    const got = await rawQuery<{ node: string; ts: number; netin_bps: number | null; netout_bps: number | null }>(store, 'select node, ts, netin_bps, netout_bps from node_samples order by node, ts');
    expect(got.filter((r) => r.node === 'pve1').map((r) => [r.ts - T0, r.netin_bps, r.netout_bps])).toEqual([
      [0, 1000, 500],
      [60, 1001, 501],
      [120, 7, 8], // filled before: kept
      [180, null, null], // no rrddata row for its step
      [240, 1004, null],
      [300, 1005, 505],
    ]);
    expect(got.filter((r) => r.node !== 'pve1' && (r.netin_bps !== null || r.netout_bps !== null))).toEqual([]);
  });

  it('splits a batch over 200 rows (rrddata sends ~70) into UPDATEs of 200', async () => {
    let updates = 0;
    const counter: KyselyPlugin = { transformQuery: (a) => ((updates += a.node.kind === 'UpdateQueryNode' ? 1 : 0), a.node), transformResult: async (a) => a.result };
    const rows = Array.from({ length: 500 }, (_, k) => ({ ts: T0 - 100 + k, netinBps: k, netoutBps: k }));
    expect(await fillNodeNetwork(store.db.withPlugin(counter), 'lab', 'pve2', rows)).toBe(6);
    expect(updates).toBe(3);
  });

  it('does nothing for no rows or an unknown cluster', async () => {
    expect(await fillNodeNetwork(store.db, 'lab', 'pve1', [])).toBe(0);
    expect(await fillNodeNetwork(store.db, 'nope', 'pve1', [{ ts: T0, netinBps: 1, netoutBps: 1 }])).toBe(0);
  });
});
