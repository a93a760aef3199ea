// The site keeps the guests' backup rows (v_backup_guest, one per guest) between builds and reads
// the view again only when what it is made of changed (#13); the clock-dependent columns (age,
// overdue) must still be what the view says at every build.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { readHealthSite, type BackupGuestCache } from '../../agent/store/health-site.query.ts';

const T = 2_000_000_000;
let store: Store;
beforeEach(async () => {
  store = await openDatabase(':memory:');
  const q = store.sqlite;
  q.prepare("insert into clusters (id, name, first_seen, last_sample_ts) values (1, 'lab', 0, ?), (2, 'prod', 0, ?)").run(T, T);
  const guest = q.prepare("insert into guests (cluster_id, vmid, type, node, name, status, template, first_seen, changed_at) values (?, ?, 'qemu', 'n1', ?, 'running', 0, 0, 0)");
  for (const [c, v] of [[1, 100], [1, 101], [1, 102], [2, 100]] as const) guest.run(c, v, `g${v}`);
  q.prepare("insert into backup_jobs (cluster_id, job_id, enabled, first_seen, last_seen) values (1, 'daily', 1, 0, ?)").run(T);
  q.prepare("insert into backup_guest_jobs (cluster_id, vmid, job_id, rpo_s) values (1, 100, 'daily', 3600), (1, 101, 'daily', 3600)").run();
  q.prepare("insert into backup_runs (cluster_id, upid, vmid, node, starttime, endtime, duration_s, ok, size_bytes, storage) values (1, 'U1', 100, 'n1', ?, ?, 60, 1, 1000, 'pbs')").run(T - 1000, T - 900);
});
afterEach(async () => {
  await store.close();
});

const fresh = async () => (await readHealthSite(store.db)).backupGuests;
const kept = async (cache: BackupGuestCache) => (await readHealthSite(store.db, cache)).backupGuests;

describe('backup rows kept between site builds', () => {
  it('equal a fresh read of v_backup_guest at every build, and read the view only when its inputs changed', async () => {
    const cache: BackupGuestCache = { inputs: '', rows: [] };
    expect(await kept(cache)).toEqual(await fresh());
    const first = cache.rows;
    expect(first.map((g) => g.status)).toEqual(['ok', 'never', 'no_job', 'unknown']);

    // The clock moves (the view's `now` is the cluster's last sample): guest 100 becomes overdue.
    store.sqlite.prepare('update clusters set last_sample_ts = ?').run(T + 3600);
    const later = await kept(cache);
    expect(cache.rows).toBe(first); // not read again
    expect(later).toEqual(await fresh());
    expect(later[0]).toMatchObject({ vmid: 100, status: 'overdue', age_s: 3600 + 900 });

    // A new backup run, a guest moved out of every job, a renamed guest: read again.
    store.sqlite.prepare("insert into backup_runs (cluster_id, upid, vmid, node, starttime, endtime, duration_s, ok, size_bytes, storage) values (1, 'U2', 101, 'n1', ?, ?, 60, 0, null, 'pbs')").run(T + 3000, T + 3100);
    expect(await kept(cache)).toEqual(await fresh());
    expect(cache.rows).not.toBe(first);
    store.sqlite.prepare("delete from backup_guest_jobs where vmid = 101").run();
    store.sqlite.prepare("insert into backup_not_in_job (cluster_id, vmid, name, type, first_seen, last_seen) values (1, 101, 'g101', 'qemu', ?, ?)").run(T + 3600, T + 3600);
    store.sqlite.prepare('update backup_jobs set last_seen = ?').run(T + 3600);
    expect((await kept(cache)).find((g) => g.vmid === 101)).toMatchObject({ status: 'no_job', jobs: null });
    expect(await kept(cache)).toEqual(await fresh());
    store.sqlite.prepare("update guests set name = 'renamed', changed_at = ? where cluster_id = 2 and vmid = 100").run(T + 3600);
    expect((await kept(cache)).find((g) => g.cluster === 'prod')).toMatchObject({ name: 'renamed' });
    expect(await kept(cache)).toEqual(await fresh());
  });
});
