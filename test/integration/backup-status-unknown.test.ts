// v_backup_guest (migration 0066): a guest without a good backup is 'never' only when it is known
// to be in a job; while the backup jobs have not been read (in_job null) it is 'unknown'.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';

let dir: string;
let store: Store;
const T = 1_796_000_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-backup-unknown-'));
  store = await openDatabase(join(dir, 'pmi.sqlite'));
  store.sqlite.prepare('insert into clusters (name, first_seen, last_ok_at, last_sample_ts) values (?, ?, ?, ?)').run('lab', T, T, T);
  const g = store.sqlite.prepare("insert into guests (cluster_id, vmid, type, node, name, status, template, maxcpu, maxmem, maxdisk, first_seen, changed_at) values (1, ?, 'qemu', 'pve1', ?, 'running', 0, 1, 1, 1, ?, ?)");
  g.run(101, 'a', T, T);
  g.run(102, 'b', T, T);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const status = () => store.sqlite.prepare('select vmid, in_job, status from v_backup_guest order by vmid').all();

describe('v_backup_guest before and after the jobs are read', () => {
  it('unknown while no job was read, never / no_job once they were', () => {
    expect(status()).toEqual([{ vmid: 101, in_job: null, status: 'unknown' }, { vmid: 102, in_job: null, status: 'unknown' }]);
    store.sqlite.prepare("insert into backup_jobs (cluster_id, job_id, enabled, first_seen, last_seen) values (1, 'daily', 1, ?, ?)").run(T, T);
    store.sqlite.prepare("insert into backup_guest_jobs (cluster_id, vmid, job_id) values (1, 101, 'daily')").run();
    expect(status()).toEqual([{ vmid: 101, in_job: 1, status: 'never' }, { vmid: 102, in_job: 0, status: 'no_job' }]);
  });
});
