// The fleet's latest-state reads (issue 17 item 5): readFleetOverview (the overview columns of
// v_guest_latest) and queryGuests (the site's guest list) give exactly the rows of the plain
// selects on both backends. On PostgreSQL they read guest_state, the per-cluster current state the
// cycle writes (guest-state.repository.ts): checked after a first cycle (the transaction), after a
// later one (the one-statement path) with guests renamed, added, gone, stopped and listed twice,
// and with a cluster's row missing or stale (the fallback to v_guest_latest, plain column arrays
// where the cycle packs a column of few distinct values). Also: the PostgreSQL
// connections of the store (the pool and the alert rules' own client) return bigint and numeric as
// numbers, as SQLite does.
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET_OVERVIEW_COLUMNS, FLEET_OVERVIEW_SQL, readFleetOverview, type FleetOverviewRow } from '../../agent/store/fleet-overview.repository.ts';
import { queryGuests } from '../../agent/store/site-inventory.repository.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { STORE_BACKENDS, openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';

const T0 = 1_800_000_000;
let store: TestStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const byKey = (a: FleetOverviewRow, b: FleetOverviewRow) => a.cluster.localeCompare(b.cluster) || a.vmid - b.vmid;
const GUESTS_SQL = `select cluster_id, vmid, type, node, name, status, template, tags, pool, lock, hastate, maxcpu, maxmem, maxdisk, first_seen, changed_at
  from guests where removed_at is null order by cluster_id, vmid`;
const run = (cluster: string) => ({ record: { cluster, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, startedAt: T0 });

/** Both reads against the plain selects of the same rows. */
async function expectSameAsPlain(s: TestStore): Promise<FleetOverviewRow[]> {
  const rows = (await readFleetOverview(s.db)).sort(byKey);
  expect(rows).toEqual((await rawQuery<FleetOverviewRow>(s, FLEET_OVERVIEW_SQL)).sort(byKey));
  expect(await queryGuests(s.db)).toEqual(await rawQuery(s, GUESTS_SQL));
  return rows;
}

/** alpha's second cycle: 101 renamed (JSON's special characters), 102 gone, 103 stopped, 900 new, 106 listed twice. */
function secondCycle(): ClusterSnapshot {
  const snap = syntheticSnapshot({ cluster: 'alpha', ts: T0 + 30, guests: 60, nodes: 2 });
  const guests = snap.guests.filter((g) => g.vmid !== 102).map((g) => {
    if (g.vmid === 101) return { ...g, name: 'we"ird\\ näme\n' };
    if (g.vmid === 103) return { ...g, status: 'stopped', cpu: 0, mem: 0, uptime: 0 };
    return g;
  });
  const g106 = guests.find((g) => g.vmid === 106)!;
  guests.push({ ...g106, vmid: 900, name: 'new' }, { ...g106, node: 'pve9', cpu: 0.99, name: 'twice' });
  return { ...snap, guests };
}

describe.each(STORE_BACKENDS)('the fleet\'s latest-state reads on %s', (backend) => {
  it('return exactly the rows of the plain selects, after a first and a later cycle', async () => {
    store = await openTestStore(backend, { now: () => T0 * 1000 });
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'alpha', ts: T0, guests: 60, nodes: 2 }));
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'beta', ts: T0, guests: 25, nodes: 3, firstVmid: 500 }));
    const first = await expectSameAsPlain(store);
    expect(first).toHaveLength(85);
    expect(Object.keys(first[0]!)).toEqual([...FLEET_OVERVIEW_COLUMNS]);

    // on PostgreSQL the later cycle is the one-statement path (writeSnapshot says so by writing the run)
    expect(await writeSnapshot(store.db, secondCycle(), run('alpha'))).toBe(backend === 'postgres');
    const rows = await expectSameAsPlain(store);
    expect(rows).toHaveLength(85);
    const alpha = (vmid: number) => rows.find((r) => r.cluster === 'alpha' && r.vmid === vmid);
    expect(alpha(101)!.name).toBe('we"ird\\ näme\n');
    expect(alpha(102)).toBeUndefined();
    expect(alpha(103)).toMatchObject({ status: 'stopped', cpu: null, mem: null, uptime: null, netin_bps: null });
    expect(alpha(106)!.node).not.toBe('pve9');
    expect(alpha(106)!.cpu).not.toBe(0.99);
    expect(alpha(900)).toMatchObject({ name: 'new', status: 'running' });
    const running = alpha(100)!;
    expect(running).toMatchObject({ type: 'lxc', node: 'pve1', status: 'running', tags: 'prod;web', maxmem: 4 * 2 ** 30 });
    expect(typeof running.cpu).toBe('number');
    const g = (await queryGuests(store.db)).find((x) => x.vmid === 900)!;
    expect(g).toMatchObject({ first_seen: T0 + 30, changed_at: T0 + 30 });
    expect((await queryGuests(store.db)).find((x) => x.vmid === 100)).toMatchObject({ first_seen: T0, changed_at: T0 });

    if (backend === 'postgres') {
      // the reads above came from guest_state: one row per cluster, of its last cycle
      expect(await rawQuery(store, `select c.name, s.ts from guest_state s join clusters c on c.id = s.cluster_id order by c.name`))
        .toEqual([{ name: 'alpha', ts: T0 + 30 }, { name: 'beta', ts: T0 }]);
      // packed: a column of few distinct values as the values and an index per guest, the rest plain
      const [alphaRow] = await rawQuery<{ latest: string }>(store, `select latest from guest_state s join clusters c on c.id = s.cluster_id where c.name = 'alpha'`);
      const latest = JSON.parse(alphaRow!.latest) as Record<string, unknown>;
      expect(latest.type).toEqual({ v: ['lxc', 'qemu'], i: expect.any(Array) });
      expect(latest.tags).toMatchObject({ v: expect.arrayContaining(['prod;web', null]) });
      expect(Array.isArray(latest.name) && Array.isArray(latest.cpu)).toBe(true);
    }
  });

  it('return no rows for an empty fleet', async () => {
    store = await openTestStore(backend);
    expect(await readFleetOverview(store.db)).toEqual([]);
    expect(await queryGuests(store.db)).toEqual([]);
  });
});

describe('guest_state on PostgreSQL', () => {
  it('a cluster whose row is missing or not of its last cycle is read from v_guest_latest instead', async () => {
    store = await openTestStore('postgres', { now: () => T0 * 1000 });
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'alpha', ts: T0, guests: 60, nodes: 2 }));
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'beta', ts: T0, guests: 25, nodes: 3, firstVmid: 500 }));
    await writeSnapshot(store.db, secondCycle());
    const before = await expectSameAsPlain(store);
    // beta's row gone (an unlogged table after a crash), alpha's row of an older cycle
    await rawQuery(store, `delete from guest_state where cluster_id = (select id from clusters where name = 'beta')`);
    await rawQuery(store, `update guest_state set ts = ts - 30, latest = '{}', inventory = '{}' where cluster_id = (select id from clusters where name = 'alpha')`);
    expect(await expectSameAsPlain(store)).toEqual(before);
    await rawQuery(store, 'delete from guest_state');
    expect(await expectSameAsPlain(store)).toEqual(before);
    // the next cycle writes the cluster's row again
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'beta', ts: T0 + 30, guests: 25, nodes: 3, firstVmid: 500 }));
    expect(await rawQuery(store, 'select count(*)::int as n from guest_state')).toEqual([{ n: 1 }]);
    await expectSameAsPlain(store);
  });

  it('is unlogged (derived state, no WAL; db/README.md) and lz4-compressed', async () => {
    store = await openTestStore('postgres');
    expect(await rawQuery(store, `select relpersistence from pg_class where relname = 'guest_state'`)).toEqual([{ relpersistence: 'u' }]);
    // lz4 where the server has it (Debian's has): the DO block of the migration must not fail silently here
    expect(await rawQuery(store, `select attname, attcompression from pg_attribute where attrelid = 'guest_state'::regclass and attname in ('latest', 'inventory') order by attname`))
      .toEqual([{ attname: 'inventory', attcompression: 'l' }, { attname: 'latest', attcompression: 'l' }]);
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
