-- Backup older than its RPO: the last good backup ended longer ago than the job's schedule allows
-- (rpo_s: the largest gap between two runs plus 2 h), or a guest in a job has no good backup yet.
-- Only once the cluster's backup tasks were read, and while no finished vzdump log of the last
-- 2 days that ended after the guest's last good backup is still unread (it may hold a newer one):
-- a fresh agent, whose slower tiers have not read jobs, tasks and logs yet, does not page for
-- every guest. (v_backup_guest says `never` also while the jobs are unknown, in_job null.)
-- severity: warning
-- for: 30m
-- labels: cluster, vmid
-- summary: Guest {{vmid}} ({{name}}) of {{cluster}}: backup {{status}} (last good {{age_h}} h ago, RPO {{rpo_h}} h)
select g.cluster, g.vmid, g.name, g.status, coalesce(round(g.age_s / 3600.0, 1), '-') as age_h, coalesce(round(g.rpo_s / 3600.0, 1), '?') as rpo_h
from v_backup_guest g
where g.in_job = 1 and g.status in ('overdue', 'never')
  and exists (select 1 from health_coverage h where h.cluster_id = g.cluster_id and h.signal = 'backup_tasks' and h.last_ok is not null)
  and not exists (
    select 1 from backup_tasks t
    where t.cluster_id = g.cluster_id and t.endtime is not null and t.log_read_at is null
      and t.endtime > :now - 2 * 86400 and t.endtime > coalesce(g.last_ok_end, 0))
