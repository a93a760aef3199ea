/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released: never edit, add a new migration instead.
// Health beyond metrics (issue #15): backups, disks, pools, HA, Ceph, replication, certificates,
// node software and which of these the token may read. "Latest" tables are updated in place by the
// slower poll tiers; *_changes / *_runs / *_samples tables keep history where the state changes.
// Plain SQL DDL that PostgreSQL also runs (integers are epoch seconds and bytes, see db/README.md).
import { sql, type Kysely } from 'kysely';

export const TABLES: string[] = [
  // What each signal's last attempt gave: ok, forbidden (403: missing privilege), error, absent (not configured, e.g. no Ceph).
  `create table health_coverage (
     cluster_id integer not null, signal text not null, node text not null default '',
     state text not null, privilege text, acl_path text, message text, token_id text,
     last_try integer not null, last_ok integer,
     primary key (cluster_id, signal, node))`,

  `create table backup_jobs (
     cluster_id integer not null, job_id text not null, enabled integer not null, schedule text,
     storage text, mode text, selection text, node text, pool text, exclude text, comment text,
     next_run integer, rpo_s integer, first_seen integer not null, last_seen integer not null,
     primary key (cluster_id, job_id))`,
  // Which job covers which guest (replaced each time the jobs are read); rpo_s is the guest's
  // target after the config override.
  `create table backup_guest_jobs (
     cluster_id integer not null, vmid integer not null, job_id text not null, rpo_s integer,
     primary key (cluster_id, vmid, job_id))`,
  `create table backup_not_in_job (
     cluster_id integer not null, vmid integer not null, name text, type text,
     first_seen integer not null, last_seen integer not null,
     primary key (cluster_id, vmid))`,
  `create table backup_excluded_volumes (
     cluster_id integer not null, job_id text not null, vmid integer not null, volume text not null,
     name text, reason text, last_seen integer not null,
     primary key (cluster_id, job_id, vmid, volume))`,
  // One row per vzdump task seen; log_read_at set once its (final, immutable) log has been read.
  `create table backup_tasks (
     cluster_id integer not null, upid text not null, node text not null, vmid integer,
     starttime integer not null, endtime integer, status text, log_read_at integer,
     primary key (cluster_id, upid))`,
  // One row per guest per vzdump run (history).
  `create table backup_runs (
     cluster_id integer not null, upid text not null, vmid integer not null, node text not null,
     starttime integer not null, endtime integer, duration_s integer, ok integer not null,
     error text, size_bytes integer, storage text, archive text,
     primary key (cluster_id, upid, vmid))`,
  `create index backup_runs_guest on backup_runs (cluster_id, vmid, endtime)`,

  `create table disks (
     cluster_id integer not null, node text not null, devpath text not null, type text, model text,
     serial text, vendor text, wwn text, size_bytes integer, rpm integer, used text, health text,
     wearout integer, first_seen integer not null, last_seen integer not null, changed_at integer not null,
     primary key (cluster_id, node, devpath))`,
  `create table disk_changes (
     cluster_id integer not null, node text not null, devpath text not null, ts integer not null,
     serial text, health text, wearout integer,
     primary key (cluster_id, node, devpath, ts))`,

  `create table zfs_pools (
     cluster_id integer not null, node text not null, pool text not null, health text,
     size_bytes integer, alloc_bytes integer, free_bytes integer, frag integer, dedup real,
     scan text, last_scrub_end integer, errors text, read_errors integer, write_errors integer,
     cksum_errors integer, detail_at integer, first_seen integer not null, last_seen integer not null,
     changed_at integer not null,
     primary key (cluster_id, node, pool))`,
  `create table zfs_pool_changes (
     cluster_id integer not null, node text not null, pool text not null, ts integer not null,
     health text, read_errors integer, write_errors integer, cksum_errors integer,
     primary key (cluster_id, node, pool, ts))`,

  `create table lvm_thin_pools (
     cluster_id integer not null, node text not null, vg text not null, lv text not null,
     size_bytes integer, used_bytes integer, metadata_size_bytes integer, metadata_used_bytes integer,
     first_seen integer not null, last_seen integer not null,
     primary key (cluster_id, node, vg, lv))`,
  `create table lvm_thin_samples (
     ts integer not null, cluster_id integer not null, node text not null, vg text not null, lv text not null,
     used_bytes integer, metadata_used_bytes integer,
     primary key (ts, cluster_id, node, vg, lv))`,

  `create table ha_manager (
     cluster_id integer primary key, quorate integer, master_node text, master_status text,
     ts integer not null)`,
  `create table ha_nodes (
     cluster_id integer not null, node text not null, lrm_state text, lrm_status text,
     node_state text, fenced integer not null default 0, ts integer not null,
     primary key (cluster_id, node))`,
  `create table ha_services (
     cluster_id integer not null, sid text not null, vmid integer, node text, state text,
     crm_state text, request_state text, status text, changed_at integer not null, last_seen integer not null,
     primary key (cluster_id, sid))`,
  `create table ha_service_changes (
     cluster_id integer not null, sid text not null, ts integer not null,
     from_state text, to_state text, node text,
     primary key (cluster_id, sid, ts))`,

  `create table ceph_status (
     cluster_id integer primary key, health text not null, checks text, osds integer,
     osds_up integer, osds_in integer, pgs integer, bytes_used integer, bytes_total integer,
     ts integer not null, changed_at integer not null)`,
  `create table ceph_health_changes (
     cluster_id integer not null, ts integer not null, from_health text, to_health text not null, checks text,
     primary key (cluster_id, ts))`,
  `create table ceph_pools (
     cluster_id integer not null, pool text not null, pool_id integer, size integer, min_size integer,
     bytes_used integer, percent_used real, max_avail_bytes integer, last_seen integer not null,
     primary key (cluster_id, pool))`,

  `create table replication_jobs (
     cluster_id integer not null, job_id text not null, guest integer, source text, target text,
     schedule text, last_sync integer, last_try integer, next_sync integer, duration_s real,
     fail_count integer, error text, first_seen integer not null, last_seen integer not null,
     primary key (cluster_id, job_id))`,
  `create table replication_changes (
     cluster_id integer not null, job_id text not null, ts integer not null,
     fail_count integer, error text,
     primary key (cluster_id, job_id, ts))`,

  `create table node_certificates (
     cluster_id integer not null, node text not null, filename text not null, source text not null,
     subject text, issuer text, notbefore integer, notafter integer, fingerprint text, san text,
     last_seen integer not null,
     primary key (cluster_id, node, filename))`,

  `create table node_software (
     cluster_id integer not null, node text not null, running_kernel text, newest_kernel text,
     manager_version text, pve_version text, reboot_required integer, reboot_required_since integer,
     last_seen integer not null,
     primary key (cluster_id, node))`,
  `create table node_software_changes (
     cluster_id integer not null, node text not null, ts integer not null,
     running_kernel text, newest_kernel text, manager_version text,
     primary key (cluster_id, node, ts))`,
];

const TABLE_NAMES = TABLES.map((t) => /^create table (\w+)/.exec(t)?.[1]).filter((n): n is string => Boolean(n));

// "now" in every view is the cluster's last poll (clusters.last_sample_ts), so a copy of the
// database taken last week answers as it did then.
export const VIEWS: Record<string, string> = {
  v_health_coverage: `
    select c.name as cluster, h.cluster_id, h.signal, nullif(h.node, '') as node, h.state, h.privilege,
           h.acl_path, h.message, h.last_try, h.last_ok, h.token_id,
           case when h.state = 'forbidden' and h.acl_path is not null and h.token_id is not null
                then 'pveum acl modify ' || h.acl_path || ' --tokens ''' || h.token_id || ''' --roles PVEAuditor' end as grant_command
    from health_coverage h join clusters c on c.id = h.cluster_id`,

  v_backup_jobs: `
    select c.name as cluster, j.cluster_id, j.job_id, j.enabled, j.schedule, j.storage, j.mode, j.selection,
           j.node, j.pool, j.exclude, j.comment, j.next_run, j.rpo_s, j.first_seen, j.last_seen,
           (select count(*) from backup_guest_jobs b where b.cluster_id = j.cluster_id and b.job_id = j.job_id) as guests
    from backup_jobs j join clusters c on c.id = j.cluster_id`,

  v_backup_runs: `
    select c.name as cluster, r.cluster_id, r.upid, r.vmid, r.node, r.starttime, r.endtime, r.duration_s,
           r.ok, r.error, r.size_bytes, r.storage, r.archive
    from backup_runs r join clusters c on c.id = r.cluster_id`,

  // Every present guest that is not a template, with its last good and last failed backup and
  // its RPO. status: ok | overdue (older than the RPO) | never (no good backup known) | no_job.
  v_backup_guest: `
    select cluster, cluster_id, vmid, name, type, node, jobs, rpo_s, in_job,
           last_ok_end, last_ok_duration_s, last_ok_size_bytes, last_ok_storage, last_ok_upid,
           last_fail_end, last_fail_error, now - last_ok_end as age_s,
           case when in_job = 0 then 'no_job'
                when last_ok_end is null then 'never'
                when rpo_s is not null and now - last_ok_end > rpo_s then 'overdue'
                else 'ok' end as status
    from (
      select c.name as cluster, g.cluster_id, g.vmid, g.name, g.type, g.node, c.last_sample_ts as now,
             (select group_concat(b.job_id, ',') from backup_guest_jobs b where b.cluster_id = g.cluster_id and b.vmid = g.vmid) as jobs,
             (select min(b.rpo_s) from backup_guest_jobs b where b.cluster_id = g.cluster_id and b.vmid = g.vmid) as rpo_s,
             case when exists (select 1 from backup_guest_jobs b where b.cluster_id = g.cluster_id and b.vmid = g.vmid) then 1
                  when exists (select 1 from backup_not_in_job n where n.cluster_id = g.cluster_id and n.vmid = g.vmid) then 0
                  when exists (select 1 from backup_jobs j where j.cluster_id = g.cluster_id) then 0
                  else null end as in_job,
             ok.endtime as last_ok_end, ok.duration_s as last_ok_duration_s, ok.size_bytes as last_ok_size_bytes,
             ok.storage as last_ok_storage, ok.upid as last_ok_upid,
             bad.endtime as last_fail_end, bad.error as last_fail_error
      from guests g
      join clusters c on c.id = g.cluster_id
      left join backup_runs ok on ok.cluster_id = g.cluster_id and ok.vmid = g.vmid and ok.ok = 1
        and ok.endtime = (select max(r.endtime) from backup_runs r where r.cluster_id = g.cluster_id and r.vmid = g.vmid and r.ok = 1)
      left join backup_runs bad on bad.cluster_id = g.cluster_id and bad.vmid = g.vmid and bad.ok = 0
        and bad.endtime = (select max(r.endtime) from backup_runs r where r.cluster_id = g.cluster_id and r.vmid = g.vmid and r.ok = 0)
      where g.removed_at is null and g.template = 0
    ) x`,

  v_backup_not_in_job: `
    select c.name as cluster, n.cluster_id, n.vmid, n.name, n.type, n.first_seen, n.last_seen
    from backup_not_in_job n join clusters c on c.id = n.cluster_id`,

  v_backup_excluded_volumes: `
    select c.name as cluster, e.cluster_id, e.job_id, e.vmid, e.volume, e.name, e.reason, e.last_seen
    from backup_excluded_volumes e join clusters c on c.id = e.cluster_id`,

  // failing: SMART health FAILED (anything but PASSED/OK/UNKNOWN) or wearout (percent of life used) >= 80.
  v_disk_latest: `
    select c.name as cluster, d.cluster_id, d.node, d.devpath, d.type, d.model, d.serial, d.vendor, d.wwn,
           d.size_bytes, d.rpm, d.used, d.health, d.wearout, d.first_seen, d.last_seen, d.changed_at,
           case when upper(coalesce(d.health, 'UNKNOWN')) not in ('PASSED', 'OK', 'UNKNOWN') then 1
                when d.wearout >= 80 then 1 else 0 end as failing
    from disks d join clusters c on c.id = d.cluster_id`,

  v_disk_changes: `
    select c.name as cluster, h.cluster_id, h.node, h.devpath, h.ts, h.serial, h.health, h.wearout
    from disk_changes h join clusters c on c.id = h.cluster_id`,

  v_zfs_pool_latest: `
    select c.name as cluster, p.cluster_id, p.node, p.pool, p.health, p.size_bytes, p.alloc_bytes, p.free_bytes,
           case when p.size_bytes > 0 then 1.0 * p.alloc_bytes / p.size_bytes end as alloc_fraction,
           p.frag, p.dedup, p.scan, p.last_scrub_end, c.last_sample_ts - p.last_scrub_end as scrub_age_s,
           p.errors, p.read_errors, p.write_errors, p.cksum_errors,
           coalesce(p.read_errors, 0) + coalesce(p.write_errors, 0) + coalesce(p.cksum_errors, 0) as total_errors,
           p.detail_at, p.first_seen, p.last_seen, p.changed_at
    from zfs_pools p join clusters c on c.id = p.cluster_id`,

  v_zfs_pool_changes: `
    select c.name as cluster, h.cluster_id, h.node, h.pool, h.ts, h.health, h.read_errors, h.write_errors, h.cksum_errors
    from zfs_pool_changes h join clusters c on c.id = h.cluster_id`,

  v_lvm_thin_latest: `
    select c.name as cluster, p.cluster_id, p.node, p.vg, p.lv, p.size_bytes, p.used_bytes,
           case when p.size_bytes > 0 then 1.0 * p.used_bytes / p.size_bytes end as data_fraction,
           p.metadata_size_bytes, p.metadata_used_bytes,
           case when p.metadata_size_bytes > 0 then 1.0 * p.metadata_used_bytes / p.metadata_size_bytes end as metadata_fraction,
           p.first_seen, p.last_seen
    from lvm_thin_pools p join clusters c on c.id = p.cluster_id`,

  v_lvm_thin_series: `
    select c.name as cluster, s.cluster_id, s.node, s.vg, s.lv, s.ts, s.used_bytes, s.metadata_used_bytes
    from lvm_thin_samples s join clusters c on c.id = s.cluster_id`,

  v_ha_latest: `
    select c.name as cluster, m.cluster_id, m.quorate, m.master_node, m.master_status, m.ts,
           (select count(*) from ha_services s where s.cluster_id = m.cluster_id) as services,
           (select count(*) from ha_services s where s.cluster_id = m.cluster_id and s.state in ('error', 'fence')) as services_failed,
           (select count(*) from ha_nodes n where n.cluster_id = m.cluster_id and n.fenced = 1) as nodes_fenced
    from ha_manager m join clusters c on c.id = m.cluster_id`,

  v_ha_node_latest: `
    select c.name as cluster, n.cluster_id, n.node, n.lrm_state, n.lrm_status, n.node_state, n.fenced, n.ts
    from ha_nodes n join clusters c on c.id = n.cluster_id`,

  v_ha_service_latest: `
    select c.name as cluster, s.cluster_id, s.sid, s.vmid, s.node, s.state, s.crm_state, s.request_state, s.status,
           s.changed_at, s.last_seen, case when s.state in ('error', 'fence') then 1 else 0 end as failing
    from ha_services s join clusters c on c.id = s.cluster_id`,

  v_ha_service_changes: `
    select c.name as cluster, h.cluster_id, h.sid, h.ts, h.from_state, h.to_state, h.node
    from ha_service_changes h join clusters c on c.id = h.cluster_id`,

  v_ceph_latest: `
    select c.name as cluster, s.cluster_id, s.health, s.checks, s.osds, s.osds_up, s.osds_in, s.pgs,
           s.bytes_used, s.bytes_total,
           case when s.bytes_total > 0 then 1.0 * s.bytes_used / s.bytes_total end as used_fraction,
           s.ts, s.changed_at
    from ceph_status s join clusters c on c.id = s.cluster_id`,

  v_ceph_health_changes: `
    select c.name as cluster, h.cluster_id, h.ts, h.from_health, h.to_health, h.checks
    from ceph_health_changes h join clusters c on c.id = h.cluster_id`,

  v_ceph_pool_latest: `
    select c.name as cluster, p.cluster_id, p.pool, p.pool_id, p.size, p.min_size, p.bytes_used, p.percent_used,
           p.max_avail_bytes, p.last_seen
    from ceph_pools p join clusters c on c.id = p.cluster_id`,

  v_replication_latest: `
    select c.name as cluster, r.cluster_id, r.job_id, r.guest, r.source, r.target, r.schedule, r.last_sync,
           c.last_sample_ts - r.last_sync as sync_age_s, r.last_try, r.next_sync, r.duration_s, r.fail_count,
           r.error, case when r.fail_count > 0 or r.error is not null then 1 else 0 end as failing,
           r.first_seen, r.last_seen
    from replication_jobs r join clusters c on c.id = r.cluster_id`,

  v_replication_changes: `
    select c.name as cluster, h.cluster_id, h.job_id, h.ts, h.fail_count, h.error
    from replication_changes h join clusters c on c.id = h.cluster_id`,

  v_certificate_latest: `
    select c.name as cluster, k.cluster_id, k.node, k.filename, k.source, k.subject, k.issuer, k.notbefore,
           k.notafter, k.notafter - c.last_sample_ts as expires_in_s, k.fingerprint, k.san, k.last_seen
    from node_certificates k join clusters c on c.id = k.cluster_id`,

  // version_skew: how many different pve-manager versions the cluster's nodes run (1 = none).
  v_node_software: `
    select c.name as cluster, s.cluster_id, s.node, s.running_kernel, s.newest_kernel, s.manager_version,
           s.pve_version, s.reboot_required, s.reboot_required_since,
           case when s.reboot_required = 1 then c.last_sample_ts - s.reboot_required_since end as reboot_pending_s,
           (select count(distinct o.manager_version) from node_software o where o.cluster_id = s.cluster_id) as version_skew,
           s.last_seen
    from node_software s join clusters c on c.id = s.cluster_id`,
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const ddl of TABLES) await sql.raw(ddl).execute(db);
  for (const [name, body] of Object.entries(VIEWS)) await sql`create view ${sql.ref(name)} as ${sql.raw(body)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(VIEWS).reverse()) await sql`drop view if exists ${sql.ref(name)}`.execute(db);
  for (const name of TABLE_NAMES.reverse()) await sql`drop table if exists ${sql.ref(name)}`.execute(db);
}
