import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { migrateTo } from '../../agent/store/migrate.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const T0 = 1_764_201_600;
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'pmi-migr-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TABLES = ['clusters', 'nodes', 'guests', 'guest_status_changes', 'storages', 'guest_samples', 'node_samples', 'storage_samples', 'tasks', 'actions', 'poll_runs', 'agent_state'];

describe('migrations', () => {
  it('are date-prefixed and sorted', () => {
    // index.ts lists them for the built agent (see store-migrations-index.test.ts)
    const files = readdirSync(join(import.meta.dirname, '../../db/migrations')).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    for (const f of files) expect(f).toMatch(/^\d{4}-\d{2}-\d{2}-\d{4}-[a-z0-9-]+\.ts$/);
  });

  it('upgrade a database created with the first schema, data included, losing nothing', async () => {
    const file = join(dir, 'old.db');
    const old = await openDatabase(file, { migrate: false });
    await migrateTo(old.db, '2026-11-27-0001-initial');
    expect(old.sqlite.prepare("select count(*) n from sqlite_schema where type = 'view'").get()).toEqual({ n: 0 });
    // Data written by the store code as it was for the first schema.
    await writeSnapshot(old.db, syntheticSnapshot({ ts: T0, guests: 25 }));
    // today's task upsert names the (cluster_id, upid) key of migration 0105: the first schema's task row by hand
    old.sqlite.prepare("insert into tasks (upid, cluster_id, node, type, object_id, vmid, user, tokenid, starttime, endtime, status, ok) values ('UPID:pve1:1:2:3:qmstart:100:root@pam:', 1, 'pve1', 'qmstart', '100', 100, 'root@pam', null, ?, ?, 'OK', 1)").run(T0 - 5, T0 - 1);
    await writeSnapshot(old.db, syntheticSnapshot({ ts: T0 + 60, guests: 25 }));
    old.sqlite.prepare("insert into actions (id, cluster, vmid, action, state, received_at, updated_at) values ('a1', 'lab', 100, 'start', 'queued', ?, ?)").run(T0, T0);
    old.sqlite.prepare("insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, ok) values (1, ?, 10, 5, 0, 1)").run(T0);
    old.sqlite.prepare("insert into agent_state (key, value, updated_at) values ('rollup.guest.until', ?, ?)").run(String(T0), T0);
    const dump = (s: typeof old) => Object.fromEntries(TABLES.map((t) => [t, s.sqlite.prepare(`select * from ${t} order by 1, 2, 3`).all()]));
    const before = dump(old);
    await old.close();

    const upgraded = await openDatabase(file); // runs the pending migrations at open, like the agent
    const after = dump(upgraded);
    // Later migrations may add columns (so: a superset), never drop rows or change values.
    expect(after).toMatchObject(before);
    expect((upgraded.sqlite.prepare('select count(*) n from v_guest_latest').get() as { n: number }).n).toBe(25);
    expect(upgraded.sqlite.prepare('select outcome, duration_s from v_tasks').get()).toEqual({ outcome: 'ok', duration_s: 4 });
    const names = (upgraded.sqlite.prepare("select name from kysely_migration order by name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(names[0]).toBe('2026-11-27-0001-initial');
    expect(names.length).toBeGreaterThan(1);
    await upgraded.close();
  });
});
