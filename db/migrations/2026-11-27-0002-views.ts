/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released: never edit, add a new migration instead (drop + recreate a view there).
// Stable views for people's SQL (documented in db/README.md). Plain SQL that PostgreSQL also runs.
import { sql, type Kysely } from 'kysely';

const VIEWS: Record<string, string> = {
  v_cluster_latest: `
    select c.id as cluster_id, c.name as cluster, c.pve_name, c.pve_version, c.pve_release, c.quorate,
           c.node_count, c.endpoint, c.first_seen, c.last_poll_at, c.last_ok_at, c.last_error, c.last_sample_ts,
           (select count(*) from guests g where g.cluster_id = c.id and g.removed_at is null) as guests,
           (select count(*) from guests g where g.cluster_id = c.id and g.removed_at is null and g.status = 'running') as guests_running
    from clusters c`,

  v_node_latest: `
    select c.name as cluster, n.cluster_id, n.node, n.status, n.nodeid, n.ip, n.maxcpu, n.cpu_model, n.kernel,
           n.pve_version, n.hastate, n.first_seen, n.last_seen,
           s.ts as sample_ts, s.uptime, s.cpu, s.iowait, s.load1, s.load5, s.load15,
           s.mem_total, s.mem_used, s.mem_available,
           case when s.mem_total > 0 then 1.0 * s.mem_used / s.mem_total end as mem_fraction,
           s.swap_total, s.swap_used, s.rootfs_total, s.rootfs_used,
           case when s.rootfs_total > 0 then 1.0 * s.rootfs_used / s.rootfs_total end as rootfs_fraction,
           s.netin_bps, s.netout_bps
    from nodes n
    join clusters c on c.id = n.cluster_id
    left join node_samples s on s.ts = c.last_sample_ts and s.cluster_id = n.cluster_id and s.node = n.node`,

  v_guest_latest: `
    select c.name as cluster, g.cluster_id, g.vmid, g.type, g.node, g.name, g.status, g.template, g.tags, g.pool,
           g.lock, g.hastate, g.maxcpu, g.maxmem, g.maxdisk, g.first_seen, g.changed_at,
           s.ts as sample_ts, s.uptime, s.cpu, s.mem,
           case when g.maxmem > 0 then 1.0 * s.mem / g.maxmem end as mem_fraction,
           s.memhost, s.disk,
           case when g.maxdisk > 0 and s.disk > 0 then 1.0 * s.disk / g.maxdisk end as disk_fraction,
           s.netin_bps, s.netout_bps, s.diskread_bps, s.diskwrite_bps
    from guests g
    join clusters c on c.id = g.cluster_id
    left join guest_samples s on s.ts = c.last_sample_ts and s.cluster_id = g.cluster_id and s.vmid = g.vmid
    where g.removed_at is null`,

  v_storage_latest: `
    select c.name as cluster, s.cluster_id, s.node, s.storage, s.type, s.content, s.shared, s.status,
           s.used, s.total, s.total - s.used as free,
           case when s.total > 0 then 1.0 * s.used / s.total end as used_fraction,
           s.first_seen, s.last_seen
    from storages s join clusters c on c.id = s.cluster_id`,

  // Shared storage is reported once per node; here it is one row (node = null).
  v_storage_fill: `
    select cluster, cluster_id, node, storage, type, shared, used, total, total - used as free,
           case when total > 0 then 1.0 * used / total end as used_fraction
    from (
      select c.name as cluster, s.cluster_id, s.node, s.storage, s.type, s.shared, s.used, s.total
      from storages s join clusters c on c.id = s.cluster_id
      where s.shared = 0 and s.status = 'available'
      union all
      select c.name, s.cluster_id, null, s.storage, max(s.type), 1, max(s.used), max(s.total)
      from storages s join clusters c on c.id = s.cluster_id
      where s.shared = 1 and s.status = 'available'
      group by c.name, s.cluster_id, s.storage
    ) f`,

  v_guest_series_raw: `
    select c.name as cluster, s.cluster_id, s.vmid, s.ts, s.uptime, s.cpu, s.mem, s.memhost, s.disk,
           s.netin_bps, s.netout_bps, s.diskread_bps, s.diskwrite_bps
    from guest_samples s join clusters c on c.id = s.cluster_id`,

  v_node_series_raw: `
    select c.name as cluster, s.cluster_id, s.node, s.ts, s.uptime, s.cpu, s.iowait, s.load1, s.load5, s.load15,
           s.mem_total, s.mem_used, s.mem_available, s.swap_total, s.swap_used, s.rootfs_total, s.rootfs_used,
           s.netin_bps, s.netout_bps
    from node_samples s join clusters c on c.id = s.cluster_id`,

  v_storage_series_raw: `
    select c.name as cluster, s.cluster_id, s.node, s.storage, s.ts, s.used, s.total
    from storage_samples s join clusters c on c.id = s.cluster_id`,

  v_tasks: `
    select c.name as cluster, t.cluster_id, t.upid, t.node, t.type, t.object_id, t.vmid, t.user, t.tokenid,
           t.starttime, t.endtime, t.endtime - t.starttime as duration_s, t.status,
           case when t.endtime is null then 'running'
                when t.status = 'OK' then 'ok'
                when t.status like 'WARNINGS%' then 'warnings'
                else 'failed' end as outcome
    from tasks t join clusters c on c.id = t.cluster_id`,

  v_actions: `
    select a.id, a.cluster, a.vmid, a.guest_type, a.node, a.action, a.params, a.reason, a.submitter, a.file_name,
           a.state, a.outcome, a.upid, a.exitstatus, a.error_code, a.message, a.verification, a.attempts,
           a.received_at, a.posted_at, a.task_ended_at, a.finished_at,
           a.finished_at - a.received_at as duration_s,
           a.task_ended_at - a.posted_at as task_duration_s,
           t.status as task_status
    from actions a left join tasks t on t.upid = a.upid`,

  v_poll_runs: `
    select c.name as cluster, r.cluster_id, r.id, r.started_at, r.duration_ms, r.requests, r.errors, r.endpoint, r.ok, r.error
    from poll_runs r join clusters c on c.id = r.cluster_id`,
};

const tierViews = (tier: '5m' | '1h'): Record<string, string> => ({
  [`v_guest_series_${tier}`]: `
    select c.name as cluster, s.cluster_id, s.vmid, s.ts, s.samples, s.cpu_avg, s.cpu_max, s.mem_avg, s.mem_max,
           s.disk_avg, s.disk_max, s.netin_avg, s.netin_max, s.netout_avg, s.netout_max,
           s.diskread_avg, s.diskread_max, s.diskwrite_avg, s.diskwrite_max
    from guest_samples_${tier} s join clusters c on c.id = s.cluster_id`,
  [`v_node_series_${tier}`]: `
    select c.name as cluster, s.cluster_id, s.node, s.ts, s.samples, s.cpu_avg, s.cpu_max, s.iowait_avg, s.iowait_max,
           s.load1_avg, s.load1_max, s.mem_used_avg, s.mem_used_max, s.mem_available_avg, s.mem_total,
           s.swap_used_avg, s.rootfs_used_avg, s.netin_avg, s.netin_max, s.netout_avg, s.netout_max
    from node_samples_${tier} s join clusters c on c.id = s.cluster_id`,
  [`v_storage_series_${tier}`]: `
    select c.name as cluster, s.cluster_id, s.node, s.storage, s.ts, s.samples, s.used_avg, s.used_max, s.total
    from storage_samples_${tier} s join clusters c on c.id = s.cluster_id`,
});

const ALL = { ...VIEWS, ...tierViews('5m'), ...tierViews('1h') };

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, body] of Object.entries(ALL)) {
    await sql`create view ${sql.ref(name)} as ${sql.raw(body)}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(ALL).reverse()) await sql`drop view if exists ${sql.ref(name)}`.execute(db);
}
