// The health schemas and mappers against captured simulator answers of PVE 7, 8 and 9
// (test/fixtures/pve/pve*/health, written by scripts/pve-sim/capture-health-fixtures.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseItems } from '../../agent/pve/pve-schemas.ts';
import { AptVersionItem, BackupJobItem, CephPoolItem, CephStatus, CertificateItem, DiskItem, HaStatusItem, IncludedVolumes, NodeTaskItem, NotBackedUpItem, ReplicationItem, TaskLogLine, ThinPoolItem, ZfsPoolDetail, ZfsPoolItem } from '../../agent/health/health-schemas.ts';
import { mapAptVersions, mapBackupJobs, mapBackupTasks, mapCephPools, mapCephStatus, mapCertificates, mapDisks, mapExcludedVolumes, mapHaStatus, mapNotBackedUp, mapReplication, mapThinPools, mapZfsDetail, mapZfsPools } from '../../agent/health/map-health.ts';
import { parseVzdumpLog } from '../../agent/health/parse-vzdump-log.ts';

describe.each([7, 8, 9])('captured PVE %i health answers', (v) => {
  const fx = (f: string) => (JSON.parse(readFileSync(join(import.meta.dirname, `../fixtures/pve/pve${v}/health`, f), 'utf8')) as { data: unknown }).data;
  const items = <T>(s: z.ZodType<T>, f: string): T[] => {
    const r = parseItems(s, fx(f));
    expect(r.issues, f).toEqual([]);
    return r.items;
  };

  it('backups: jobs with their RPO, excluded disk, guest in no job, per-guest results from a job log', () => {
    const jobs = mapBackupJobs(items(BackupJobItem, 'cluster-backup.json'));
    expect(jobs[0]).toMatchObject({ enabled: true, all: true, exclude: [107], schedule: '21:00', rpoS: 26 * 3600 });
    expect(mapExcludedVolumes(jobs[0]!.jobId, IncludedVolumes.parse(fx('backup-included-volumes.json')))).toEqual([expect.objectContaining({ vmid: 108, reason: 'backup=no' })]);
    expect(mapNotBackedUp(items(NotBackedUpItem, 'backup-not-backed-up.json')).map((g) => g.vmid)).toEqual([107]);
    const tasks = mapBackupTasks(items(NodeTaskItem, 'node-tasks-vzdump.json'));
    const job = tasks.find((t) => t.vmid === null)!;
    const lines = items(TaskLogLine, 'task-log-vzdump-job.json').map((l) => l.t);
    const runs = parseVzdumpLog({ ...job }, lines);
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.every((r) => r.storage === 'nas' && r.node === 'pve2')).toBe(true);
    expect(runs.filter((r) => r.ok).every((r) => (r.sizeBytes ?? 0) > 0 && (r.durationS ?? 0) > 0 && r.endtime! > r.starttime)).toBe(true);
  });

  it('disks, ZFS, LVM-thin', () => {
    const disks = mapDisks(items(DiskItem, 'disks-list.json'));
    expect(disks.find((d) => d.devpath === '/dev/sdb')).toMatchObject({ health: 'FAILED', wearout: null, type: 'hdd' });
    expect(disks.find((d) => d.type === 'nvme')!.wearout).toBeGreaterThanOrEqual(0);
    expect(mapZfsPools(items(ZfsPoolItem, 'disks-zfs.json'))[0]).toMatchObject({ pool: 'tank', health: 'DEGRADED' });
    expect(mapZfsDetail(ZfsPoolDetail.parse(fx('disks-zfs-detail.json')))).toMatchObject({ health: 'DEGRADED', cksumErrors: 14, lastScrubEnd: expect.any(Number) });
    const thin = mapThinPools(items(ThinPoolItem, 'disks-lvmthin.json'))[0]!;
    expect(thin.metadataUsedBytes! / thin.metadataSizeBytes!).toBeCloseTo(0.9, 2);
  });

  it('HA, Ceph, replication, certificates, packages', () => {
    const ha = mapHaStatus(items(HaStatusItem, 'ha-status-current.json'));
    expect(ha).toMatchObject({ quorate: true, masterNode: 'pve1' });
    expect(ha.services.find((s) => s.vmid === 108)).toMatchObject({ state: 'error' });
    expect(mapCephStatus(CephStatus.parse(fx('ceph-status.json')))).toMatchObject({ health: 'HEALTH_WARN', osds: 6, osdsUp: 5, checks: { OSD_DOWN: { message: '1 osds down' } } });
    expect(mapCephPools(items(CephPoolItem, 'ceph-pool.json')).map((p) => p.pool)).toEqual(['.mgr', 'ceph-vm']);
    expect(mapReplication(items(ReplicationItem, 'replication.json')).some((r) => (r.failCount ?? 0) > 0 && r.error)).toBe(true);
    const certs = mapCertificates(items(CertificateItem, 'certificates-info.json'));
    expect(certs.map((c) => c.filename)).toEqual(['pve-root-ca.pem', 'pve-ssl.pem', 'pveproxy-ssl.pem']);
    const sw = mapAptVersions(items(AptVersionItem, 'apt-versions.json'));
    expect(sw).toMatchObject({ rebootRequired: true });
    expect(sw.newestKernel).not.toBe(sw.runningKernel);
  });
});
