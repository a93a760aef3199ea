/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. v_backup_guest (0066) the same rows, a cheaper plan; the site reads it
// every cycle, one row per guest (issue 13 item 7). In 0066 the job columns were correlated
// subqueries in an inner select that SQLite flattens: in_job (three subqueries) was evaluated once
// per mention (four) and rpo_s three times, per guest; and the newest good run of a guest was
// found through an automatic index SQLite built over backup_runs on every read. Now the job columns
// come from backup_guest_jobs grouped once, backup_not_in_job and the clusters that have jobs by
// join, and backup_runs_ok_guest finds a guest's newest good and failed run directly.
// Plain SQL that PostgreSQL also runs (group_concat: migration 0052).
import { sql, type Kysely } from 'kysely';

const BODY = `
    select cluster, cluster_id, vmid, name, type, node, jobs, rpo_s, in_job,
           last_ok_end, last_ok_duration_s, last_ok_size_bytes, last_ok_storage, last_ok_upid,
           last_fail_end, last_fail_error, now - last_ok_end as age_s,
           case when in_job = 0 then 'no_job'
                when in_job is null and last_ok_end is null then 'unknown'
                when last_ok_end is null then 'never'
                when rpo_s is not null and now - last_ok_end > rpo_s then 'overdue'
                else 'ok' end as status
    from (
      select c.name as cluster, g.cluster_id, g.vmid, g.name, g.type, g.node, c.last_sample_ts as now,
             bj.jobs, bj.rpo_s,
             case when bj.vmid is not null then 1
                  when n.vmid is not null then 0
                  when cj.cluster_id is not null then 0
                  else null end as in_job,
             ok.endtime as last_ok_end, ok.duration_s as last_ok_duration_s, ok.size_bytes as last_ok_size_bytes,
             ok.storage as last_ok_storage, ok.upid as last_ok_upid,
             bad.endtime as last_fail_end, bad.error as last_fail_error
      from guests g
      join clusters c on c.id = g.cluster_id
      left join (select cluster_id, vmid, group_concat(job_id, ',') as jobs, min(rpo_s) as rpo_s
                 from backup_guest_jobs group by cluster_id, vmid) bj on bj.cluster_id = g.cluster_id and bj.vmid = g.vmid
      left join backup_not_in_job n on n.cluster_id = g.cluster_id and n.vmid = g.vmid
      left join (select distinct cluster_id from backup_jobs) cj on cj.cluster_id = g.cluster_id
      left join backup_runs ok on ok.cluster_id = g.cluster_id and ok.vmid = g.vmid and ok.ok = 1
        and ok.endtime = (select max(r.endtime) from backup_runs r where r.cluster_id = g.cluster_id and r.vmid = g.vmid and r.ok = 1)
      left join backup_runs bad on bad.cluster_id = g.cluster_id and bad.vmid = g.vmid and bad.ok = 0
        and bad.endtime = (select max(r.endtime) from backup_runs r where r.cluster_id = g.cluster_id and r.vmid = g.vmid and r.ok = 0)
      where g.removed_at is null and g.template = 0
    ) x`;

// as migration 0066 created it
const BEFORE = `
    select cluster, cluster_id, vmid, name, type, node, jobs, rpo_s, in_job,
           last_ok_end, last_ok_duration_s, last_ok_size_bytes, last_ok_storage, last_ok_upid,
           last_fail_end, last_fail_error, now - last_ok_end as age_s,
           case when in_job = 0 then 'no_job'
                when in_job is null and last_ok_end is null then 'unknown'
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
    ) x`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('backup_runs_ok_guest').on('backup_runs').columns(['cluster_id', 'vmid', 'ok', 'endtime']).execute();
  await sql`drop view if exists v_backup_guest`.execute(db);
  await sql`create view v_backup_guest as ${sql.raw(BODY)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_backup_guest`.execute(db);
  await sql`create view v_backup_guest as ${sql.raw(BEFORE)}`.execute(db);
  await db.schema.dropIndex('backup_runs_ok_guest').execute();
}
