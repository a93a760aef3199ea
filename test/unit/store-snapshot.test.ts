import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, STORE_BACKENDS, type TestStore } from '../support/store-backends.ts';
import { ensureCluster, getClusterId, writePollRun, writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { migrateToLatest } from '../../agent/store/migrate.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import type { Database } from '../../agent/store/schema.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const T0 = 1_764_201_600; // 2025-11-27T00:00:00Z

// Issue 17: every test runs on SQLite and on PostgreSQL (test/support/store-backends.ts).
describe.each(STORE_BACKENDS)('on %s', (backend) => {
let dir: string;
let store: TestStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-store-'));
  store = await openTestStore(backend, { now: () => T0 * 1000 });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(store.db)).rows;
const one = async (text: string) => (await all(text))[0];
const count = async (table: string, where = '1 = 1') => Number((await one(`select count(*) as n from ${table} where ${where}`))!.n);

describe('writeSnapshot', () => {
  it('writes cluster, nodes, guests, raw samples of running guests only, storages and tasks', async () => {
    const snap = syntheticSnapshot({ ts: T0, guests: 100, nodes: 3 });
    snap.tasks = [{ upid: 'UPID:pve1:00001234:0000ABCD:6926A000:qmstart:101:root@pam:', node: 'pve1', type: 'qmstart', objectId: '101', vmid: 101, user: 'root@pam', tokenid: null, starttime: T0 - 30, endtime: null, status: 'RUNNING', ok: null }];
    await writeSnapshot(store.db, snap);

    const cluster = await one('select * from clusters') as Record<string, unknown>;
    expect(cluster).toMatchObject({ name: 'lab', pve_name: 'lab', pve_version: '8.3.1', quorate: 1, node_count: 3, endpoint: 'https://10.0.0.1:8006', first_seen: T0, last_poll_at: T0, last_ok_at: T0, last_sample_ts: T0 });
    expect(await count('nodes')).toBe(3);
    expect(await count('node_samples', `ts = ${T0}`)).toBe(3);
    expect(await count('guests')).toBe(100);
    const sampled = snap.guests.filter((g) => g.status !== 'stopped' && !g.template).length;
    expect(sampled).toBeLessThan(100);
    expect(await count('guest_samples', `ts = ${T0}`)).toBe(sampled);
    expect(await count('guest_samples g join guests x using (cluster_id, vmid)', `x.status = 'stopped' or x.template = 1`)).toBe(0);
    expect(await count('guest_status_changes', 'from_status is null')).toBe(100);
    expect(await count('storages')).toBe(12);
    expect(await count('storage_samples')).toBe(12);
    expect(await one('select status, ok from tasks')).toEqual({ status: 'RUNNING', ok: null });
    const g = await one('select tags, template, changed_at from guests where vmid = 100');
    expect(g).toEqual({ tags: 'prod;web', template: 0, changed_at: T0 });
  });

  it('rewrites a guest row only when a field changed, records status changes and removals', async () => {
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 20 }));
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 60, guests: 20 }));
    expect(await count('guests', `changed_at = ${T0 + 60}`)).toBe(0);
    expect(await count('guest_samples')).toBeGreaterThan(0);

    // vmid 100 stops, vmid 119 disappears.
    const snap = syntheticSnapshot({ ts: T0 + 120, guests: 20, stopped: new Set([100]) });
    snap.guests = snap.guests.filter((g) => g.vmid !== 119);
    await writeSnapshot(store.db, snap);
    expect(await one('select status, changed_at from guests where vmid = 100')).toEqual({ status: 'stopped', changed_at: T0 + 120 });
    expect(await all('select from_status, to_status, ts from guest_status_changes where vmid = 100 and from_status is not null')).toEqual([{ from_status: 'running', to_status: 'stopped', ts: T0 + 120 }]);
    expect(await one('select removed_at from guests where vmid = 119')).toEqual({ removed_at: T0 + 120 });
    expect(await count('guest_samples', `vmid = 100 and ts = ${T0 + 120}`)).toBe(0);
    expect(await count('guests', `changed_at = ${T0 + 120}`)).toBe(2);

    // it comes back: removed_at cleared
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 180, guests: 20 }));
    expect(await one('select removed_at, changed_at from guests where vmid = 119')).toEqual({ removed_at: null, changed_at: T0 + 180 });
    expect((await one('select last_sample_ts from clusters'))!.last_sample_ts).toBe(T0 + 180);
  });

  it('stores text as given through the column arrays: quotes, backslashes, commas, braces, "NULL", empty and non-ASCII, first and steady cycles alike', async () => {
    const odd = ['a"b', 'back\\slash', 'x,y', '{braces}', 'NULL', '', 'ünïcødé ✓', ' spaced ', '\\"', 'new\nline'];
    const named = (ts: number, suffix: string) => {
      const snap = syntheticSnapshot({ ts, guests: odd.length });
      snap.guests.forEach((g, i) => {
        g.name = odd[i]! + suffix;
        g.tags = [odd[i]!];
      });
      snap.storages[0]!.content = odd[0]!;
      snap.tasks = [{ upid: 'UPID:pve1:1:2:3:qmstart:100:root@pam:', node: 'pve1', type: 'qmstart', objectId: '100', vmid: 100, user: 'we"ird\\user', tokenid: null, starttime: ts - 5, endtime: null, status: 'RUNNING', ok: null }];
      return snap;
    };
    await writeSnapshot(store.db, named(T0, '')); // the full path (bulk inserts)
    expect((await all('select name, tags from guests order by vmid')).map((r) => [r.name, r.tags])).toEqual(odd.map((o) => [o, o]));
    await writeSnapshot(store.db, named(T0 + 60, '!')); // steady: the one statement on PostgreSQL
    expect((await all('select name from guests order by vmid')).map((r) => r.name)).toEqual(odd.map((o) => o + '!'));
    expect(await one(`select content from storages where node = 'pve1' and storage = 'local'`)).toEqual({ content: odd[0] });
    expect(await one('select "user" from tasks')).toEqual({ user: 'we"ird\\user' });
    expect(await count('guest_samples', `ts = ${T0 + 60}`)).toBe(await count('guest_samples', `ts = ${T0}`));
  });

  it.skipIf(backend !== 'postgres')('sends the steady cycle statement as a named prepared statement, parsed once per connection and shape', async () => {
    const prepared = await store.db.connection().execute(async (conn) => {
      for (let k = 0; k < 4; k++) await writeSnapshot(conn, syntheticSnapshot({ ts: T0 + 60 * k, guests: 10 }));
      return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(conn)).rows;
    });
    expect(prepared).toHaveLength(1); // three steady cycles of one shape: one statement
    expect(prepared[0]!.name).toMatch(/^pmi_\d+$/);
    expect(prepared[0]!.statement).toContain('update clusters set');
    expect(await count('guest_samples')).toBe(4 * syntheticSnapshot({ ts: T0, guests: 10 }).guests.filter((g) => g.status !== 'stopped' && !g.template).length);
  });

  it('updates a task by UPID instead of duplicating it', async () => {
    const task = { upid: 'UPID:pve1:00001234:0000ABCD:6926A000:qmstart:101:root@pam:', node: 'pve1', type: 'qmstart', objectId: '101', vmid: 101, user: 'root@pam', tokenid: null, starttime: T0 - 30, endtime: null, status: 'RUNNING', ok: null };
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 3, tasks: [task] }));
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 60, guests: 3, tasks: [{ ...task, endtime: T0 + 5, status: 'OK', ok: true }] }));
    expect(await all('select endtime, status, ok from tasks')).toEqual([{ endtime: T0 + 5, status: 'OK', ok: 1 }]);
  });

  it('keeps an offline node\'s hardware facts and writes no sample for it', async () => {
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 3 }));
    const snap = syntheticSnapshot({ ts: T0 + 60, guests: 3 });
    const n = snap.nodes[1]!;
    Object.assign(n, { status: 'offline', maxcpu: null, memTotal: null, cpuModel: null, uptime: null, cpu: null });
    await writeSnapshot(store.db, snap);
    expect(await one("select status, maxcpu, cpu_model, last_seen from nodes where node = 'pve2'")).toEqual({ status: 'offline', maxcpu: 64, cpu_model: 'AMD EPYC 7543', last_seen: T0 + 60 });
    expect(await count('node_samples', `ts = ${T0 + 60}`)).toBe(2);
  });

  it('is all-or-nothing: a failing write leaves no partial cycle', async () => {
    const snap = syntheticSnapshot({ ts: T0, guests: 10 });
    // A guest with a null status violates NOT NULL after the samples were queued.
    (snap.guests[3] as { status: unknown }).status = null;
    await expect(writeSnapshot(store.db, snap)).rejects.toThrow();
    expect(await count('clusters')).toBe(0);
    expect(await count('guest_samples')).toBe(0);
  });

  it('regression: a rolled-back cycle does not leave the in-memory guest copy ahead of the database', async () => {
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 10 }));
    const bad = syntheticSnapshot({ ts: T0 + 60, guests: 12 }); // two new guests…
    (bad.storages[0] as { status: unknown }).status = null; // …in a cycle that fails after the guests
    await expect(writeSnapshot(store.db, bad)).rejects.toThrow();
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 120, guests: 12 }));
    expect(await count('guests')).toBe(12);
    expect(await count('guest_status_changes', 'vmid in (110, 111)')).toBe(2);
  });

  it('SQLite: a cycle compares with the guests rows the database holds, not with a copy of what it last wrote (#13 item 7)', async () => {
    if (backend !== 'sqlite') return; // PostgreSQL's one-statement cycle keeps the copy (its own test: lease handover)
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 20 }));
    // a change behind the writer's back (a restore, another tool): the next cycle sees and repairs it
    await sql`update guests set name = 'changed elsewhere' where vmid = 105`.execute(store.db);
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 60, guests: 20 }));
    const g = await one('select name, changed_at from guests where vmid = 105');
    expect(g).toEqual({ name: syntheticSnapshot({ ts: T0, guests: 20 }).guests.find((x) => x.vmid === 105)!.name, changed_at: T0 + 60 });
    expect(await count('guests', `changed_at = ${T0 + 60}`)).toBe(1);
  });

  it('a clock stepped back after steady cycles removes the rows stamped by the clock that ran ahead', async () => {
    // on PostgreSQL the second and third writes take the one-statement path; the step back must not
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 10 }));
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 60, guests: 10 }));
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 120, guests: 10 }));
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 90, guests: 10 }));
    expect(await count('guest_samples', `ts = ${T0 + 120}`)).toBe(0);
    expect(await count('guest_samples', `ts = ${T0 + 90}`)).toBeGreaterThan(0);
    expect((await one('select last_sample_ts from clusters'))!.last_sample_ts).toBe(T0 + 90);
    await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 150, guests: 10 }));
    expect((await one('select last_sample_ts from clusters'))!.last_sample_ts).toBe(T0 + 150);
  });

  it.skipIf(backend !== 'postgres')('regression: after another agent wrote the cluster (a lease handover), the next cycle starts from the database, not from what this agent wrote last', async () => {
    const other = await openPgStore({ url: store.location }, { migrate: false });
    try {
      await writeSnapshot(store.db, syntheticSnapshot({ ts: T0, guests: 10 }));
      await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 60, guests: 10 }));
      // the other agent holds the cluster for a cycle: vmid 100 stopped, vmid 109 gone
      const theirs = syntheticSnapshot({ ts: T0 + 120, guests: 10, stopped: new Set([100]) });
      theirs.guests = theirs.guests.filter((g) => g.vmid !== 109);
      await writeSnapshot(other.db, theirs);
      // back here: 100 runs again and 109 is back; this agent last saw both running
      await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + 180, guests: 10 }));
      expect(await one('select status, changed_at from guests where vmid = 100')).toEqual({ status: 'running', changed_at: T0 + 180 });
      expect(await one('select removed_at from guests where vmid = 109')).toEqual({ removed_at: null });
      expect(await all('select from_status, to_status, ts from guest_status_changes where vmid = 100 and from_status is not null order by ts')).toEqual([
        { from_status: 'running', to_status: 'stopped', ts: T0 + 120 },
        { from_status: 'stopped', to_status: 'running', ts: T0 + 180 },
      ]);
      expect(await count('guest_samples', `ts = ${T0 + 180}`)).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it.skipIf(backend !== 'sqlite')('works through plain kysely (no better-sqlite3 fast path), as another dialect would', async () => {
    const sqlite = new SqliteDatabase(join(dir, 'plain.db'));
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    await migrateToLatest(db);
    await writeSnapshot(db, syntheticSnapshot({ ts: T0, guests: 30 }));
    await writeSnapshot(db, syntheticSnapshot({ ts: T0, guests: 30 })); // same ts again: no duplicate error
    const n = (sqlite.prepare('select count(*) n from guest_samples').get() as { n: number }).n;
    expect(n).toBe(syntheticSnapshot({ ts: T0, guests: 30 }).guests.filter((g) => g.status !== 'stopped' && !g.template).length);
    await db.destroy();
  });
});

describe('clusters and poll runs', () => {
  it('ensureCluster is idempotent and getClusterId finds it', async () => {
    expect(await getClusterId(store.db, 'x')).toBeUndefined();
    const a = await ensureCluster(store.db, 'x', T0);
    expect(await ensureCluster(store.db, 'x', T0 + 5)).toBe(a);
    expect(await getClusterId(store.db, 'x')).toBe(a);
  });

  it('writePollRun records runs and the cluster\'s last error', async () => {
    await writePollRun(store.db, { cluster: 'lab', startedAt: T0, durationMs: 812.4, requests: 5, errors: 1, endpoint: 'https://a:8006', ok: false, error: { code: 'PVE_TIMEOUT', message: 'timed out' } });
    expect(await one('select last_poll_at, last_ok_at, last_error from clusters')).toEqual({ last_poll_at: T0, last_ok_at: null, last_error: 'PVE_TIMEOUT: timed out' });
    await writePollRun(store.db, { cluster: 'lab', startedAt: T0 + 60, durationMs: 100, requests: 5, errors: 0, endpoint: 'https://a:8006', ok: true });
    expect(await one('select last_poll_at, last_ok_at, last_error from clusters')).toEqual({ last_poll_at: T0 + 60, last_ok_at: T0 + 60, last_error: null });
    expect(await all('select duration_ms, ok, error from poll_runs order by id')).toEqual([
      { duration_ms: 812, ok: 0, error: 'PVE_TIMEOUT: timed out' },
      { duration_ms: 100, ok: 1, error: null },
    ]);
  });

  it('writeSnapshot with the poll run: written in the cycle\'s one statement on PostgreSQL (true), left to writePollRun otherwise (false); the rows end up the same', async () => {
    const run = (startedAt: number, ok: boolean) => ({ record: { cluster: 'lab', durationMs: 90.6, requests: 6, errors: ok ? 0 : 1, endpoint: 'https://a:8006', ok, ...(!ok && { error: 'PVE_TIMEOUT: node n2' }) }, startedAt });
    const cycle = async (ts: number, ok: boolean) => {
      const r = run(ts - 1, ok);
      const written = await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'lab', ts, guests: 5, nodes: 2 }), r);
      if (!written) await writePollRun(store.db, r.record, r.startedAt);
      return written;
    };
    // the first cycle of a cluster takes the full path on both backends; the following are one statement on PostgreSQL
    expect(await cycle(T0, true)).toBe(false);
    expect(await cycle(T0 + 30, true)).toBe(backend === 'postgres');
    expect(await one('select last_poll_at, last_ok_at, last_error, last_sample_ts from clusters')).toEqual({ last_poll_at: T0 + 29, last_ok_at: T0 + 29, last_error: null, last_sample_ts: T0 + 30 });
    expect(await cycle(T0 + 60, false)).toBe(backend === 'postgres');
    // as writePollRun after the snapshot: the failed run's error, last_ok_at from the snapshot
    expect(await one('select last_poll_at, last_ok_at, last_error, last_sample_ts from clusters')).toEqual({ last_poll_at: T0 + 59, last_ok_at: T0 + 60, last_error: 'PVE_TIMEOUT: node n2', last_sample_ts: T0 + 60 });
    expect(await all('select started_at, duration_ms, requests, errors, endpoint, ok, error from poll_runs order by started_at')).toEqual([
      { started_at: T0 - 1, duration_ms: 91, requests: 6, errors: 0, endpoint: 'https://a:8006', ok: 1, error: null },
      { started_at: T0 + 29, duration_ms: 91, requests: 6, errors: 0, endpoint: 'https://a:8006', ok: 1, error: null },
      { started_at: T0 + 59, duration_ms: 91, requests: 6, errors: 1, endpoint: 'https://a:8006', ok: 0, error: 'PVE_TIMEOUT: node n2' },
    ]);
  });

  it('a cycle another agent wrote meanwhile: the statement writes no poll run either and says so (the caller writes it after the full path)', async () => {
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'lab', ts: T0, guests: 3, nodes: 1 }));
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'lab', ts: T0 + 30, guests: 3, nodes: 1 }));
    await sql`update clusters set last_sample_ts = ${T0 + 45}`.execute(store.db); // someone else's cycle
    const r = { record: { cluster: 'lab', durationMs: 10, requests: 6, errors: 0, endpoint: null, ok: true }, startedAt: T0 + 59 };
    expect(await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'lab', ts: T0 + 60, guests: 3, nodes: 1 }), r)).toBe(false);
    expect(await count('poll_runs')).toBe(0);
  });
});
});
