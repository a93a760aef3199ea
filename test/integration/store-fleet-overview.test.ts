// The fleet overview read (issue 17 item 5): readFleetOverview gives the overview columns of
// v_guest_latest for every present guest, the same rows and values on both backends, whether the
// PostgreSQL side packs them per cluster or not; and the PostgreSQL connections of the store (the
// pool and the alert rules' own client) return bigint and numeric as numbers, as SQLite does.
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET_OVERVIEW_COLUMNS, FLEET_OVERVIEW_SQL, readFleetOverview, type FleetOverviewRow } from '../../agent/store/fleet-overview.repository.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { STORE_BACKENDS, openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';

const T0 = 1_800_000_000;
let store: TestStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const byKey = (a: FleetOverviewRow, b: FleetOverviewRow) => a.cluster.localeCompare(b.cluster) || a.vmid - b.vmid;

describe.each(STORE_BACKENDS)('readFleetOverview on %s', (backend) => {
  it('returns every present guest with the overview columns, as the plain query does', async () => {
    store = await openTestStore(backend, { now: () => T0 * 1000 });
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'alpha', ts: T0, guests: 60, nodes: 2 }));
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'beta', ts: T0, guests: 25, nodes: 3, firstVmid: 500 }));
    // a name with JSON's special characters and a guest that is gone: packing must not change either
    await rawQuery(store, `update guests set name = ? where vmid = 101`, ['we"ird\\ näme\n']);
    await rawQuery(store, `update guests set removed_at = ? where vmid = 102`, [T0]);

    const rows = (await readFleetOverview(store.db)).sort(byKey);
    const plain = (await rawQuery<FleetOverviewRow>(store, FLEET_OVERVIEW_SQL)).sort(byKey);
    expect(rows).toHaveLength(84);
    expect(rows).toEqual(plain);
    expect(Object.keys(rows[0]!)).toEqual([...FLEET_OVERVIEW_COLUMNS]);
    expect(rows.find((r) => r.vmid === 101)!.name).toBe('we"ird\\ näme\n');
    expect(rows.some((r) => r.vmid === 102)).toBe(false);

    const running = rows.find((r) => r.cluster === 'alpha' && r.vmid === 100)!;
    expect(running).toMatchObject({ type: 'lxc', node: 'pve1', status: 'running', tags: 'prod;web', maxmem: 4 * 2 ** 30 });
    expect(typeof running.cpu).toBe('number');
    expect(typeof running.mem).toBe('number');
    expect(typeof running.uptime).toBe('number');
    const stopped = rows.find((r) => r.cluster === 'alpha' && r.status === 'stopped')!;
    expect(stopped.netin_bps).toBeNull();
  });

  it('returns no rows for an empty fleet', async () => {
    store = await openTestStore(backend);
    expect(await readFleetOverview(store.db)).toEqual([]);
  });
});

describe('the PostgreSQL store\'s own connections', () => {
  it('read bigint and numeric as numbers, in the pool and in the rules\' client alike', async () => {
    store = await openTestStore('postgres');
    if (store.kind !== 'postgres') throw new Error('not PostgreSQL');
    const q = 'select 12345678901::bigint as b, 1.0 * 1 / 4 as n, 0.5::float8 as f';
    expect((await store.pool.query(q)).rows[0]).toEqual({ b: 12345678901, n: 0.25, f: 0.5 });
    const c = store.connectClient();
    await c.connect();
    try {
      expect((await c.query(q)).rows[0]).toEqual({ b: 12345678901, n: 0.25, f: 0.5 });
    } finally {
      await c.end();
    }
  });
});
