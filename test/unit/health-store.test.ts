// The health repository on a real SQLite database: change history only on change, the reboot
// clock, job → guest coverage with the RPO override, pruning in bounded steps.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, STORE_BACKENDS, type TestStore } from '../support/store-backends.ts';
import { ensureCluster } from '../../agent/store/cluster.repository.ts';
import { pruneHealthHistory, writeHealthBatch } from '../../agent/store/health.repository.ts';
import type { DiskRow, SignalResult } from '../../agent/health/health-rows.ts';

// Issue 17: on SQLite and on PostgreSQL (test/support/store-backends.ts).
describe.each(STORE_BACKENDS)('on %s', (backend) => {
let store: TestStore;
beforeEach(async () => {
  store = await openTestStore(backend);
  await ensureCluster(store.db, 'c1', 1000);
});
afterEach(async () => store.close());

const q = async (text: string) => (await sql.raw(text).execute(store.db)).rows as Array<Record<string, unknown>>;
const disk = (over: Partial<DiskRow> = {}): DiskRow => ({ devpath: '/dev/sda', type: 'ssd', model: 'M', serial: 'S1', vendor: null, wwn: null, sizeBytes: 1, rpm: 0, used: null, health: 'PASSED', wearout: 10, ...over });
const disks = (rows: DiskRow[]): SignalResult => ({ signal: 'disks', node: 'n1', state: 'ok', kind: 'disks', rows });

describe('writeHealthBatch', () => {
  it('adds a disk change row only when health, wearout or serial changed; a vanished disk goes', async () => {
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 2000, results: [disks([disk()])] });
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 3000, results: [disks([disk()])] });
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 4000, results: [disks([disk({ health: 'FAILED' }), disk({ devpath: '/dev/sdb' })])] });
    expect(await q('select devpath, ts, health from disk_changes order by ts, devpath')).toEqual([
      { devpath: '/dev/sda', ts: 2000, health: 'PASSED' },
      { devpath: '/dev/sda', ts: 4000, health: 'FAILED' },
      { devpath: '/dev/sdb', ts: 4000, health: 'PASSED' },
    ]);
    expect(await q("select changed_at from disks where devpath = '/dev/sda'")).toEqual([{ changed_at: 4000 }]);
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 5000, results: [disks([disk({ devpath: '/dev/sdb' })])] });
    expect((await q('select devpath from disks')).map((r) => r.devpath)).toEqual(['/dev/sdb']);
  });

  it('a ZFS pool keeps changed_at while its health stays, moves it when the health changes', async () => {
    // the upsert compares health null-safely; SQLite's `a is b` is not PostgreSQL syntax
    const zfs = (ts: number, health: string | null) => writeHealthBatch(store.db, { cluster: 'c1', ts, results: [{ signal: 'zfs', node: 'n1', state: 'ok', kind: 'zfs', rows: [{ pool: 'rpool', health, sizeBytes: 100, allocBytes: 10, freeBytes: 90, frag: 1, dedup: 1 }] }] });
    await zfs(2000, 'ONLINE');
    await zfs(3000, 'ONLINE');
    expect(await q('select health, changed_at, last_seen from zfs_pools')).toEqual([{ health: 'ONLINE', changed_at: 2000, last_seen: 3000 }]);
    await zfs(4000, 'DEGRADED');
    await zfs(5000, null);
    await zfs(6000, null);
    expect(await q('select health, changed_at, last_seen from zfs_pools')).toEqual([{ health: null, changed_at: 5000, last_seen: 6000 }]);
  });

  it('a forbidden signal keeps its rows and its last_ok; the coverage says which privilege and the pveum line', async () => {
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 2000, tokenId: 'pmi@pve!m', results: [disks([disk()])] });
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 3000, tokenId: 'pmi@pve!m', results: [{ signal: 'disks', node: 'n1', state: 'forbidden', privilege: 'Sys.Audit', aclPath: '/nodes/n1', kind: 'none' }] });
    expect(await q('select state, last_ok, grant_command from v_health_coverage')).toEqual([{ state: 'forbidden', last_ok: 2000, grant_command: "pveum acl modify /nodes/n1 --tokens 'pmi@pve!m' --roles PVEAuditor" }]);
    expect(await q('select count(*) n from disks')).toEqual([{ n: 1 }]);
  });

  it('reboot_required_since holds while the same newer kernel waits, resets after the reboot', async () => {
    const apt = (ts: number, running: string, newest: string) => writeHealthBatch(store.db, { cluster: 'c1', ts, results: [{ signal: 'apt_versions', node: 'n1', state: 'ok', kind: 'apt_versions', row: { runningKernel: running, newestKernel: newest, managerVersion: '8.4.1', pveVersion: '8.4.0', rebootRequired: running !== newest } }] });
    await apt(1000, 'a-1-pve', 'a-1-pve');
    await apt(2000, 'a-1-pve', 'a-2-pve');
    await apt(9000, 'a-1-pve', 'a-2-pve');
    expect(await q('select reboot_required, reboot_required_since from node_software')).toEqual([{ reboot_required: 1, reboot_required_since: 2000 }]);
    await apt(9500, 'a-2-pve', 'a-2-pve');
    expect(await q('select reboot_required, reboot_required_since from node_software')).toEqual([{ reboot_required: 0, reboot_required_since: null }]);
    expect((await q('select ts from node_software_changes order by ts')).map((r) => r.ts)).toEqual([1000, 2000, 9500]);
  });

  it('maps jobs to guests (all minus exclude, node-bound, pool) with the RPO override', async () => {
    const cid = (await q("select id from clusters where name = 'c1'"))[0]!.id as number;
    for (const [vmid, node, pool] of [[100, 'n1', null], [101, 'n2', 'prod'], [102, 'n1', 'prod']] as const) {
      await sql`insert into guests (cluster_id, vmid, type, node, status, template, first_seen, changed_at, pool) values (${cid}, ${vmid}, 'qemu', ${node}, 'running', 0, 1, 1, ${pool})`.execute(store.db);
    }
    const job = (id: string, o: object) => ({ jobId: id, enabled: true, schedule: '21:00', storage: 's', mode: 'snapshot', all: false, vmids: [], pool: null, node: null, exclude: [], comment: null, nextRun: null, rpoS: 93_600, ...o });
    await writeHealthBatch(store.db, { cluster: 'c1', ts: 2000, results: [{ signal: 'backup_jobs', node: '', state: 'ok', kind: 'backup_jobs', excluded: [], jobs: [job('all-n1', { all: true, node: 'n1', exclude: [102] }), job('prod', { pool: 'prod' })] }] }, { rpoOverrides: [{ hours: 12, vmids: [101] }] });
    expect(await q('select vmid, job_id, rpo_s from backup_guest_jobs order by vmid, job_id')).toEqual([
      { vmid: 100, job_id: 'all-n1', rpo_s: 93_600 },
      { vmid: 101, job_id: 'prod', rpo_s: 43_200 },
      { vmid: 102, job_id: 'prod', rpo_s: 93_600 },
    ]);
  });
});

describe('pruneHealthHistory', () => {
  it('deletes history older than the cutoff in bounded steps, keeps the latest state', async () => {
    const thin = (): SignalResult => ({ signal: 'lvm_thin', node: 'n1', state: 'ok', kind: 'lvm_thin', rows: [{ vg: 'pve', lv: 'data', sizeBytes: 100, usedBytes: 1, metadataSizeBytes: 10, metadataUsedBytes: 1 }] });
    for (let ts = 1000; ts < 1010; ts++) await writeHealthBatch(store.db, { cluster: 'c1', ts, results: [thin()] });
    expect(await pruneHealthHistory(store.db, 1008, 3)).toBe(3);
    expect(await pruneHealthHistory(store.db, 1008, 100)).toBe(5);
    expect(await q('select ts from lvm_thin_samples order by ts')).toEqual([{ ts: 1008 }, { ts: 1009 }]);
    expect(await q('select count(*) n from lvm_thin_pools')).toEqual([{ n: 1 }]);
  });
});
});
