// Every table keys on the cluster (issue 17 item 1: a distributed PostgreSQL such as Citus could
// spread it by distributing on the cluster). Regression: tasks were keyed by their UPID alone and
// poll_runs / poll_errors by a serial id alone (migration 0105 fixes them, rows kept). The tables
// that deliberately key on something else are listed here, each with why, and db/README.md must
// list them too ("Tables not keyed on the cluster").
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../agent/store/migrate.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { pruneSmall } from '../../agent/store/prune.ts';
import { prunePollErrors } from '../../agent/store/poll-errors.repository.ts';
import type { TaskRecord } from '../../agent/poll/cluster-snapshot.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { STORE_BACKENDS, openTestStore, pgAdminUrl, rawQuery, type TestStore } from '../support/store-backends.ts';

/** Fleet-wide tables: not keyed on the cluster on purpose (db/README.md says the same). */
export const FLEET_WIDE_TABLES: Readonly<Record<string, string>> = {
  agents: 'one row per agent, not per cluster',
  cluster_leases: 'who holds which cluster (and the site lease *site): the coordination itself',
  lease_history: 'handovers between agents, read fleet-wide on the agent page',
  agent_state: 'the fleet duties\' bookkeeping (rollup and prune watermarks), kept by the site lease holder',
  actions: 'request ids are unique fleet-wide (executed exactly once whichever agent took the file in); a rejected request may name no known cluster',
  alert_instances: 'the alert engine runs on one agent over the whole fleet; a rule may span clusters',
  alert_transitions: 'alert history, as alert_instances',
  alert_notify_queue: 'notification queue of the alert engine',
  alert_outbox: 'notification outbox of the alert engine',
  alert_delivery_attempts: 'delivery attempts of the outbox',
  alert_silences: 'silences match labels, which may name no cluster',
  pbs_coverage: 'keyed by the Proxmox Backup Server and datastore, which belong to no cluster',
  pbs_groups: 'keyed by the Proxmox Backup Server and datastore, which belong to no cluster',
  kysely_migration: 'schema bookkeeping',
  kysely_migration_lock: 'schema bookkeeping',
};

const T0 = 1_800_000_000;
let store: TestStore | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await store?.close();
  store = undefined;
  for (const c of closers.splice(0)) await c();
});

async function primaryKeys(s: TestStore): Promise<Map<string, string[]>> {
  const rows = await rawQuery<{ t: string; pk: string | null }>(s, `
    select c.relname as t,
      (select string_agg(a.attname, ',' order by k.ord) from pg_constraint con
         cross join lateral unnest(con.conkey) with ordinality k(att, ord)
         join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.att
       where con.conrelid = c.oid and con.contype = 'p') as pk
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition`);
  return new Map(rows.map((r) => [r.t, r.pk ? r.pk.split(',') : []]));
}

describe('primary keys on PostgreSQL', () => {
  it('every table\'s primary key includes cluster_id, but the documented fleet-wide tables', async () => {
    store = await openTestStore('postgres');
    const keys = await primaryKeys(store);
    const missing: string[] = [];
    for (const [table, pk] of keys) {
      const keyed = table === 'clusters' ? pk.includes('id') : pk.includes('cluster_id');
      if (!keyed && !(table in FLEET_WIDE_TABLES)) missing.push(`${table} (${pk.join(', ') || 'no primary key'})`);
      if (keyed && table in FLEET_WIDE_TABLES) missing.push(`${table} is listed as fleet-wide but keys on the cluster: drop it from the list`);
    }
    expect(missing).toEqual([]);
    for (const table of Object.keys(FLEET_WIDE_TABLES)) expect(keys.has(table), `${table} exists`).toBe(true);
    expect(keys.get('tasks')).toEqual(['cluster_id', 'upid']);
    expect(keys.get('poll_runs')).toEqual(['cluster_id', 'id']);
    expect(keys.get('poll_errors')).toEqual(['cluster_id', 'id']);
  });

  it('every other unique index of a cluster-keyed table includes cluster_id too (Citus requires it)', async () => {
    store = await openTestStore('postgres');
    const rows = await rawQuery<{ t: string; def: string; cols: string }>(store, `
      select t.relname as t, pg_get_indexdef(ix.indexrelid) as def,
        (select string_agg(a.attname, ',') from pg_attribute a where a.attrelid = t.oid and a.attnum = any(ix.indkey)) as cols
      from pg_index ix join pg_class t on t.oid = ix.indrelid join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = current_schema() and ix.indisunique and not ix.indisprimary and not t.relispartition`);
    const bad = rows.filter((r) => r.t !== 'clusters' && !(r.t in FLEET_WIDE_TABLES) && !(r.cols ?? '').split(',').includes('cluster_id'));
    expect(bad.map((r) => r.def)).toEqual([]);
  });

  it('db/README.md names every fleet-wide table', () => {
    const readme = readFileSync(new URL('../../db/README.md', import.meta.url), 'utf8');
    const section = readme.split(/^### Tables not keyed on the cluster$/m)[1]?.split(/^#{2,3} /m)[0];
    expect(section, 'db/README.md has a "### Tables not keyed on the cluster" section').toBeDefined();
    for (const table of Object.keys(FLEET_WIDE_TABLES)) expect(section, table).toContain(`\`${table}\``);
  });
});

/** Rows of the three re-keyed tables written at the schema before migration 0105. */
async function seedOldRows(db: Kysely<unknown>): Promise<void> {
  await sql`insert into tasks (upid, cluster_id, node, type, starttime, status) values
    ('UPID:pve1:00000001:00000001:6B49D200:qmstart:101:root@pam:', 1, 'pve1', 'qmstart', ${T0}, 'OK'),
    ('UPID:pve1:00000002:00000002:6B49D200:qmstop:102:root@pam:', 2, 'pve1', 'qmstop', ${T0}, 'RUNNING')`.execute(db);
  await sql`insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, ok) values (1, ${T0}, 10, 3, 0, 1), (2, ${T0}, 11, 3, 1, 0)`.execute(db);
  await sql`insert into poll_errors (cluster_id, ts, code, message) values (2, ${T0}, 'PVE_UNREACHABLE', 'node pve1 timed out')`.execute(db);
}

async function checkRowsKept(db: Kysely<unknown>): Promise<void> {
  const tasks = await sql<{ upid: string; cluster_id: number }>`select upid, cluster_id from tasks order by cluster_id`.execute(db);
  expect(tasks.rows.map((t) => Number(t.cluster_id))).toEqual([1, 2]);
  const runs = await sql<{ id: number; cluster_id: number }>`select id, cluster_id from poll_runs order by id`.execute(db);
  expect(runs.rows.map((r) => Number(r.cluster_id))).toEqual([1, 2]);
  // new rows still get the next id
  await sql`insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, ok) values (1, ${T0 + 60}, 9, 3, 0, 1)`.execute(db);
  const next = await sql<{ id: number }>`select max(id) as id from poll_runs`.execute(db);
  expect(Number(next.rows[0]!.id)).toBe(Number(runs.rows[1]!.id) + 1);
  const errors = await sql<{ n: number }>`select count(*) as n from poll_errors`.execute(db);
  expect(Number(errors.rows[0]!.n)).toBe(1);
}

describe('migration 0105 (cluster keys)', () => {
  it('keeps the rows on PostgreSQL', async () => {
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    const name = `pmi_t_keys_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await admin.query(`create database "${name}"`); // empty (template1), not the migrated template
    closers.push(async () => {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    });
    const u = new URL(pgAdminUrl());
    u.pathname = `/${name}`;
    const s = await openPgStore({ url: u.toString() }, { migrate: false });
    closers.unshift(() => s.close());
    await migrateTo(s.db, '2026-12-07-0095-agent-leases');
    await seedOldRows(s.db as Kysely<unknown>);
    await migrateToLatest(s.db);
    await checkRowsKept(s.db as Kysely<unknown>);
  });

  it('keeps the rows on SQLite', async () => {
    const s = await openDatabase(':memory:', { migrate: false });
    closers.push(() => s.close());
    await migrateTo(s.db, '2026-12-07-0095-agent-leases');
    await seedOldRows(s.db as Kysely<unknown>);
    await migrateToLatest(s.db);
    await checkRowsKept(s.db as Kysely<unknown>);
  });
});

describe.each(STORE_BACKENDS)('tasks upsert on %s', (backend) => {
  it('updates a task of the same cluster in place, once per (cluster, upid)', async () => {
    store = await openTestStore(backend);
    const task = (status: string, endtime: number | null): TaskRecord => ({
      upid: 'UPID:pve1:0000AAAA:0000BBBB:6B49D200:vzdump:101:root@pam:', node: 'pve1', type: 'vzdump', objectId: '101', vmid: 101,
      user: 'root@pam', tokenid: null, starttime: T0 - 30, endtime, status, ok: endtime === null ? null : status === 'OK',
    });
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'c1', ts: T0, guests: 3, tasks: [task('RUNNING', null)] }));
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'c1', ts: T0 + 60, guests: 3, tasks: [task('OK', T0 + 30)] }));
    const rows = await rawQuery<{ status: string; endtime: number | null }>(store, 'select status, endtime from tasks');
    expect(rows).toEqual([{ status: 'OK', endtime: T0 + 30 }]);
  });
});

describe.each(STORE_BACKENDS)('pruning the re-keyed tables on %s', (backend) => {
  it('deletes rows older than the cut-off by their whole key, in bounded batches', async () => {
    store = await openTestStore(backend);
    for (const [cid, t] of [[1, T0 - 100], [2, T0 - 90], [1, T0 - 80], [2, T0 + 10]] as const) {
      await rawQuery(store, 'insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, ok) values (?, ?, 1, 1, 0, 1)', [cid, t]);
      await rawQuery(store, "insert into poll_errors (cluster_id, ts, code, message) values (?, ?, 'X', 'm')", [cid, t]);
      await rawQuery(store, "insert into tasks (upid, cluster_id, node, type, starttime) values (?, ?, 'pve1', 'qmstart', ?)", [`UPID:${cid}:${t}`, cid, t]);
    }
    const count = async (table: string) => Number((await rawQuery<{ n: number }>(store!, `select count(*) as n from ${table}`))[0]!.n);
    expect(await pruneSmall(store.db, 'poll_runs', T0, 2)).toBe(2);
    expect(await pruneSmall(store.db, 'poll_runs', T0, 2)).toBe(1);
    expect(await count('poll_runs')).toBe(1);
    expect(await prunePollErrors(store.db, T0, 10)).toBe(3);
    expect(await count('poll_errors')).toBe(1);
    expect(await pruneSmall(store.db, 'tasks', T0, 10)).toBe(3);
    expect(await rawQuery(store, 'select cluster_id, starttime from tasks')).toEqual([{ cluster_id: 2, starttime: T0 + 10 }]);
  });
});
