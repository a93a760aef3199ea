// The pure view models of the health pages (agent/health/build-health-model.ts): rows in, typed
// model out. The end-to-end test renders them; here the ordering, levels and folding.
import { describe, expect, it } from 'vitest';
import { EMPTY_HEALTH, backupsPageKey, buildBackupsPage, buildCoverage, buildHealthAttention, buildHealthSection } from '../../agent/health/build-health-model.ts';
import { buildStatusJson } from '../../agent/site/build-status-json.ts';
import type { BackupGuestRow, HealthSiteRows } from '../../agent/store/health-site.query.ts';

/** A guest whose last good backup ended `age` seconds before `now` (by default at ts 1000). */
const guest = (vmid: number, status: BackupGuestRow['status'], age: number | null, rpo: number | null, now = 1000 + (age ?? 0)): BackupGuestRow => ({
  cluster: 'c1', vmid, name: `g${vmid}`, type: 'qemu', node: 'n1', jobs: status === 'no_job' ? null : 'j1', rpo_s: rpo, in_job: status === 'no_job' ? 0 : 1,
  last_ok_end: age === null ? null : now - age, last_ok_duration_s: 60, last_ok_size_bytes: 1024, last_ok_storage: 'nas', last_ok_upid: null,
  last_fail_end: null, last_fail_error: null, age_s: age, status,
});

const rows = (over: Partial<HealthSiteRows>): HealthSiteRows => ({ ...EMPTY_HEALTH, ...over });

describe('buildBackupsPage', () => {
  it('orders never, overdue (most overdue first), no job, ok; counts each; links each guest', () => {
    const now = 36_000; // on the hour: the page's ages are the rows' ages
    const m = buildBackupsPage(rows({ backupGuests: [guest(1, 'ok', 10, 100, now), guest(2, 'overdue', 200, 100, now), guest(3, 'never', null, 100, now), guest(4, 'no_job', 50, null, now), guest(5, 'overdue', 500, 100, now)] }), (c, v) => `g/${c}/${v}.html`, now);
    expect(m.rows.map((r) => r.vmid)).toEqual([3, 5, 2, 4, 1]);
    expect(m.counts).toEqual({ ok: 1, overdue: 2, never: 1, no_job: 1, unknown: 0 });
    expect(m.notInJob).toEqual([{ href: 'g/c1/4.html', cluster: 'c1', vmid: 4, name: 'g4', node: 'n1' }]);
    expect(m.rows[0]).toMatchObject({ level: 'bad', statusText: 'never backed up', href: 'g/c1/3.html' });
  });
});

describe('stable models: pages are not rebuilt every cycle because ages moved', () => {
  it('the Backups page changes only with the hour; sections carry absolute times only', () => {
    const g = [guest(1, 'ok', 3000, 93_600), guest(2, 'overdue', 100_000, 93_600)];
    const at = (now: number) => JSON.stringify(buildBackupsPage(rows({ backupGuests: g }), undefined, now));
    expect(at(7200 + 60)).toBe(at(7200 + 3000));
    expect(at(7200 + 60)).not.toBe(at(10_800 + 60));
    const repl = (age: number, expires: number): HealthSiteRows => rows({
      replication: [{ cluster: 'c1', job_id: '100-0', guest: 100, source: 'n1', target: 'n2', schedule: '*/15', last_sync: 5000, sync_age_s: age, duration_s: 2, fail_count: 0, error: null, failing: 0 }],
      certificates: [{ cluster: 'c1', node: 'n1', filename: 'pve-ssl.pem', source: 'api', subject: null, issuer: null, notafter: 9_000_000, expires_in_s: expires, fingerprint: null }],
    });
    expect(JSON.stringify(buildHealthSection(repl(60, 8_000_000), 'c1'))).toBe(JSON.stringify(buildHealthSection(repl(120, 7_999_940), 'c1')));
  });

  it('backupsPageKey: the same within the hour while only age_s moves; any shown field or the hour changes it', () => {
    const g = (age: number, over: Partial<BackupGuestRow> = {}) => rows({ backupGuests: [{ ...guest(1, 'ok', age, 93_600), ...over }, guest(2, 'overdue', 100_000, 93_600)] });
    const key = backupsPageKey(g(3000), 7200 + 60);
    expect(backupsPageKey(g(3000, { age_s: 3540 }), 7200 + 600)).toBe(key);
    expect(backupsPageKey(g(3000), 10_800 + 60)).not.toBe(key);
    for (const over of [{ status: 'overdue' as const }, { name: 'renamed' }, { last_ok_end: 999 }, { last_fail_error: 'x' }, { rpo_s: 3600 }, { node: 'n2' }]) {
      expect(backupsPageKey(g(3000, over), 7200 + 60)).not.toBe(key);
    }
    // free text cannot run into the next field
    expect(backupsPageKey(g(3000, { name: 'a\t1', node: 'b' }), 7200)).not.toBe(backupsPageKey(g(3000, { name: 'a', node: '1\tb' }), 7200));
    // what the key leaves out does not reach the page: two inputs of one key, one model
    expect(JSON.stringify(buildBackupsPage(g(3000, { age_s: 3540 }), undefined, 7200 + 600))).toBe(JSON.stringify(buildBackupsPage(g(3000), undefined, 7200 + 60)));
    // … also where the order depends on the age: two overdue guests whose order by the rows' age_s
    // flips within the hour (6 vs 10.6 times their RPO at 7260, 100 vs 20 at 8200) keep one order
    const pair = (now: number) => rows({ backupGuests: [guest(1, 'overdue', now - 7200, 10, now), guest(2, 'overdue', now - 6200, 100, now)] });
    expect(backupsPageKey(pair(8200), 8200)).toBe(backupsPageKey(pair(7260), 7260));
    expect(buildBackupsPage(pair(7260), undefined, 7260).rows.map((r) => r.vmid)).toEqual(buildBackupsPage(pair(8200), undefined, 8200).rows.map((r) => r.vmid));
    expect(JSON.stringify(buildBackupsPage(pair(8200), undefined, 8200))).toBe(JSON.stringify(buildBackupsPage(pair(7260), undefined, 7260)));
  });
});

describe('buildHealthSection', () => {
  const h = rows({
    disks: [
      { cluster: 'c1', node: 'n1', devpath: '/dev/a', type: 'ssd', model: 'm', serial: 's', size_bytes: 1, health: 'PASSED', wearout: 85, failing: 1, last_seen: 1 },
      { cluster: 'c1', node: 'n2', devpath: '/dev/b', type: 'hdd', model: 'm', serial: 's', size_bytes: 1, health: 'PASSED', wearout: null, failing: 0, last_seen: 1 },
      { cluster: 'c2', node: 'n1', devpath: '/dev/c', type: 'hdd', model: 'm', serial: 's', size_bytes: 1, health: 'FAILED', wearout: null, failing: 1, last_seen: 1 },
    ],
    coverage: [
      { cluster: 'c1', signal: 'apt_versions', node: 'n2', state: 'forbidden', privilege: 'Sys.Audit', acl_path: '/nodes/n2', message: '403', last_try: 1, last_ok: null, token_id: 't@pve!x', grant_command: "pveum acl modify /nodes/n2 --tokens 't@pve!x' --roles PVEAuditor" },
      { cluster: 'c1', signal: 'ceph', node: null, state: 'absent', privilege: null, acl_path: null, message: 'not initialized', last_try: 1, last_ok: null, token_id: 't@pve!x', grant_command: null },
    ],
  });
  it('a cluster section has every node of that cluster only, with levels', () => {
    const s = buildHealthSection(h, 'c1');
    expect(s.showNode).toBe(true);
    expect(s.disks.map((d) => [d.devpath, d.wearout.level ?? null])).toEqual([['/dev/a', 'bad'], ['/dev/b', null]]);
    // a missing privilege is said; Ceph not configured is not a problem
    expect(s.unavailable).toEqual([{ signal: 'kernel and package versions (reboot required)', node: 'n2', state: 'forbidden', text: 'missing Sys.Audit on /nodes/n2' }]);
  });
  it('a node section has that node only', () => {
    const s = buildHealthSection(h, 'c1', 'n1');
    expect(s.showNode).toBe(false);
    expect(s.disks.map((d) => d.devpath)).toEqual(['/dev/a']);
    expect(s.unavailable).toEqual([]);
    expect(buildHealthSection(EMPTY_HEALTH, 'c1').empty).toBe(true);
  });
  it('coverage folds per-node rows into one per signal with the pveum line; attention lists what is wrong', () => {
    const c = buildCoverage(h);
    expect(c.clusters[0]).toMatchObject({ cluster: 'c1', tokenId: 't@pve!x', missing: 1 });
    expect(c.clusters[0]!.rows.find((r) => r.state === 'missing privilege')).toMatchObject({ where: 'n2', privilege: 'Sys.Audit on /nodes/n2', grant: "pveum acl modify /nodes/n2 --tokens 't@pve!x' --roles PVEAuditor" });
    expect(c.clusters[0]!.rows.find((r) => r.signal === 'Ceph health')).toMatchObject({ state: 'not configured', level: 'ok' });
    expect(buildHealthAttention(h).map((a) => a.text)).toEqual(['/dev/a m: SMART PASSED, wearout 85 %', '/dev/c m: SMART FAILED']);
  });
  it('status.json gets its health part after the guests', () => {
    const fleet = { clusters: [], nodes: [], guests: [], storages: [], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85 };
    const doc = JSON.parse(buildStatusJson(fleet, 0, 60, 180, [], undefined, { health: h })) as { v: number; health: { disks: unknown[]; coverage: Array<{ grant: string | null }> } };
    expect(doc.v).toBe(1);
    expect(Object.keys(doc).slice(-2)).toEqual(['guests', 'health']);
    expect(doc.health.disks).toHaveLength(3);
    expect(doc.health.coverage[0]!.grant).toContain('pveum acl modify /nodes/n2');
  });
});
