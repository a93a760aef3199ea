-- Backup older than its RPO: the last good backup ended longer ago than the job's schedule allows
-- (rpo_s: the largest gap between two runs plus 2 h), or a guest in a job has no good backup yet.
-- Only once the cluster's backup tasks were read, and while no finished vzdump log of the last
-- 2 days that ended after the guest's last good backup is still unread (it may hold a newer one):
-- a fresh agent, whose slower tiers have not read jobs, tasks and logs yet, does not page for
-- every guest. The status is v_backup_guest's (`overdue`, or `never` for a guest in a job),
-- computed here from its tables for guests in a job only: over the view it cost ~60 ms at 10,000
-- guests (npm run bench -- --only alerts), as much as the rest of the pack.
-- severity: warning
-- for: 30m
-- labels: cluster, vmid
-- summary: Guest {{vmid}} ({{name}}) of {{cluster}}: backup {{status}} (last good {{age_h}} h ago, RPO {{rpo_h}} h)
with jobbed as (
  select bg.cluster_id, bg.vmid, min(bg.rpo_s) as rpo_s,
         (select max(r.endtime) from backup_runs r where r.cluster_id = bg.cluster_id and r.vmid = bg.vmid and r.ok = 1) as last_ok_end
  from backup_guest_jobs bg group by bg.cluster_id, bg.vmid
)
select c.name as cluster, g.vmid, g.name,
       case when j.last_ok_end is null then 'never' else 'overdue' end as status,
       coalesce(cast(round((c.last_sample_ts - j.last_ok_end) / 3600.0, 1) as text), '-') as age_h, coalesce(cast(round(j.rpo_s / 3600.0, 1) as text), '?') as rpo_h
from jobbed j
join guests g on g.cluster_id = j.cluster_id and g.vmid = j.vmid and g.removed_at is null and g.template = 0
join clusters c on c.id = j.cluster_id
where (j.last_ok_end is null or (j.rpo_s is not null and c.last_sample_ts - j.last_ok_end > j.rpo_s))
  and exists (select 1 from health_coverage h where h.cluster_id = j.cluster_id and h.signal = 'backup_tasks' and h.last_ok is not null)
  and not exists (
    select 1 from backup_tasks t
    where t.cluster_id = j.cluster_id and t.endtime is not null and t.log_read_at is null
      and t.endtime > :now - 2 * 86400 and t.endtime > coalesce(j.last_ok_end, 0))
