// What the site shows of the health signals (issue #15): read from the documented v_* views, one
// query per view per build (a few thousand rows at 10,000 guests).
import type { PbsCoverageSiteRow, PbsGroupSiteRow, PbsSiteRows } from '../health/pbs-site.model.ts';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface BackupGuestRow {
  cluster: string; vmid: number; name: string | null; type: string; node: string; jobs: string | null; rpo_s: number | null; in_job: number | null;
  last_ok_end: number | null; last_ok_duration_s: number | null; last_ok_size_bytes: number | null; last_ok_storage: string | null; last_ok_upid: string | null;
  last_fail_end: number | null; last_fail_error: string | null; age_s: number | null; status: 'ok' | 'overdue' | 'never' | 'no_job' | 'unknown';
}
export interface BackupJobSiteRow { cluster: string; job_id: string; enabled: number; schedule: string | null; storage: string | null; selection: string | null; next_run: number | null; rpo_s: number | null; guests: number; comment: string | null }
export interface ExcludedVolumeSiteRow { cluster: string; job_id: string; vmid: number; volume: string; name: string | null; reason: string | null }
export interface DiskSiteRow { cluster: string; node: string; devpath: string; type: string | null; model: string | null; serial: string | null; size_bytes: number | null; health: string | null; wearout: number | null; failing: number; last_seen: number }
export interface ZfsSiteRow { cluster: string; node: string; pool: string; health: string | null; size_bytes: number | null; alloc_fraction: number | null; frag: number | null; scrub_age_s: number | null; last_scrub_end: number | null; errors: string | null; read_errors: number | null; write_errors: number | null; cksum_errors: number | null; total_errors: number }
export interface ThinSiteRow { cluster: string; node: string; vg: string; lv: string; size_bytes: number | null; data_fraction: number | null; metadata_size_bytes: number | null; metadata_fraction: number | null }
export interface HaSiteRow { cluster: string; quorate: number | null; master_node: string | null; master_status: string | null; services: number; services_failed: number; nodes_fenced: number; ts: number }
export interface HaServiceSiteRow { cluster: string; sid: string; vmid: number | null; node: string | null; state: string | null; request_state: string | null; failing: number; changed_at: number }
export interface HaNodeSiteRow { cluster: string; node: string; lrm_state: string | null; lrm_status: string | null; node_state: string | null; fenced: number }
export interface CephSiteRow { cluster: string; health: string; checks: string | null; osds: number | null; osds_up: number | null; osds_in: number | null; pgs: number | null; used_fraction: number | null; ts: number }
export interface CephPoolSiteRow { cluster: string; pool: string; size: number | null; min_size: number | null; bytes_used: number | null; percent_used: number | null }
export interface ReplicationSiteRow { cluster: string; job_id: string; guest: number | null; source: string | null; target: string | null; schedule: string | null; last_sync: number | null; sync_age_s: number | null; duration_s: number | null; fail_count: number | null; error: string | null; failing: number }
export interface CertificateSiteRow { cluster: string; node: string; filename: string; source: string; subject: string | null; issuer: string | null; notafter: number | null; expires_in_s: number | null; fingerprint: string | null }
export interface SoftwareSiteRow { cluster: string; node: string; running_kernel: string | null; newest_kernel: string | null; manager_version: string | null; pve_version: string | null; reboot_required: number | null; reboot_required_since: number | null; reboot_pending_s: number | null; version_skew: number }
export interface CoverageSiteRow { cluster: string; signal: string; node: string | null; state: string; privilege: string | null; acl_path: string | null; message: string | null; last_try: number; last_ok: number | null; token_id: string | null; grant_command: string | null }

export interface HealthSiteRows {
  backupGuests: BackupGuestRow[];
  backupJobs: BackupJobSiteRow[];
  excludedVolumes: ExcludedVolumeSiteRow[];
  disks: DiskSiteRow[];
  zfs: ZfsSiteRow[];
  thin: ThinSiteRow[];
  ha: HaSiteRow[];
  haServices: HaServiceSiteRow[];
  haNodes: HaNodeSiteRow[];
  ceph: CephSiteRow[];
  cephPools: CephPoolSiteRow[];
  replication: ReplicationSiteRow[];
  certificates: CertificateSiteRow[];
  software: SoftwareSiteRow[];
  coverage: CoverageSiteRow[];
  /** Proxmox Backup Server groups and datastore coverage (#15, optional PBS). */
  pbs?: PbsSiteRows;
}

async function q<T>(db: Kysely<Database>, text: string): Promise<T[]> {
  return (await sql.raw(text).execute(db)).rows as T[];
}

/** Every health row the pages and status.json show. */
export async function readHealthSite(db: Kysely<Database>): Promise<HealthSiteRows> {
  const [backupGuests, backupJobs, excludedVolumes, disks, zfs, thin, ha, haServices, haNodes, ceph, cephPools, replication, certificates, software, coverage] = await Promise.all([
    q<BackupGuestRow>(db, 'select cluster, vmid, name, type, node, jobs, rpo_s, in_job, last_ok_end, last_ok_duration_s, last_ok_size_bytes, last_ok_storage, last_ok_upid, last_fail_end, last_fail_error, age_s, status from v_backup_guest order by cluster, vmid'),
    q<BackupJobSiteRow>(db, 'select cluster, job_id, enabled, schedule, storage, selection, next_run, rpo_s, guests, comment from v_backup_jobs order by cluster, job_id'),
    q<ExcludedVolumeSiteRow>(db, 'select cluster, job_id, vmid, volume, name, reason from v_backup_excluded_volumes order by cluster, vmid, volume'),
    q<DiskSiteRow>(db, 'select cluster, node, devpath, type, model, serial, size_bytes, health, wearout, failing, last_seen from v_disk_latest order by cluster, node, devpath'),
    q<ZfsSiteRow>(db, 'select cluster, node, pool, health, size_bytes, alloc_fraction, frag, scrub_age_s, last_scrub_end, errors, read_errors, write_errors, cksum_errors, total_errors from v_zfs_pool_latest order by cluster, node, pool'),
    q<ThinSiteRow>(db, 'select cluster, node, vg, lv, size_bytes, data_fraction, metadata_size_bytes, metadata_fraction from v_lvm_thin_latest order by cluster, node, vg, lv'),
    q<HaSiteRow>(db, 'select cluster, quorate, master_node, master_status, services, services_failed, nodes_fenced, ts from v_ha_latest order by cluster'),
    q<HaServiceSiteRow>(db, 'select cluster, sid, vmid, node, state, request_state, failing, changed_at from v_ha_service_latest order by cluster, sid'),
    q<HaNodeSiteRow>(db, 'select cluster, node, lrm_state, lrm_status, node_state, fenced from v_ha_node_latest order by cluster, node'),
    q<CephSiteRow>(db, 'select cluster, health, checks, osds, osds_up, osds_in, pgs, used_fraction, ts from v_ceph_latest order by cluster'),
    q<CephPoolSiteRow>(db, 'select cluster, pool, size, min_size, bytes_used, percent_used from v_ceph_pool_latest order by cluster, pool'),
    q<ReplicationSiteRow>(db, 'select cluster, job_id, guest, source, target, schedule, last_sync, sync_age_s, duration_s, fail_count, error, failing from v_replication_latest order by cluster, job_id'),
    q<CertificateSiteRow>(db, 'select cluster, node, filename, source, subject, issuer, notafter, expires_in_s, fingerprint from v_certificate_latest order by cluster, node, filename'),
    q<SoftwareSiteRow>(db, 'select cluster, node, running_kernel, newest_kernel, manager_version, pve_version, reboot_required, reboot_required_since, reboot_pending_s, version_skew from v_node_software order by cluster, node'),
    q<CoverageSiteRow>(db, 'select cluster, signal, node, state, privilege, acl_path, message, last_try, last_ok, token_id, grant_command from v_health_coverage order by cluster, signal, node'),
  ]);
  const pbs = {
    groups: await q<PbsGroupSiteRow>(db, 'select server, store, backup_type, backup_id, last_backup, backup_count, last_size_bytes, verify_state, owner, age_s from v_pbs_group order by server, store, backup_type, backup_id'),
    coverage: await q<PbsCoverageSiteRow>(db, 'select server, store, state, message, token_id, last_ok, grant_command from v_pbs_coverage order by server, store'),
  };
  return { backupGuests, backupJobs, excludedVolumes, disks, zfs, thin, ha, haServices, haNodes, ceph, cephPools, replication, certificates, software, coverage, pbs };
}
