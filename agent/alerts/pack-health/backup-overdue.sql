-- Backup older than its RPO: the last good backup ended longer ago than the job's schedule allows
-- (rpo_s: the largest gap between two runs plus 2 h), or a guest in a job has no good backup yet.
-- severity: warning
-- for: 30m
-- labels: cluster, vmid
-- summary: Guest {{vmid}} ({{name}}) of {{cluster}}: backup {{status}} (last good {{age_h}} h ago, RPO {{rpo_h}} h)
select cluster, vmid, name, status, round(age_s / 3600.0, 1) as age_h, round(rpo_s / 3600.0, 1) as rpo_h
from v_backup_guest where status in ('overdue', 'never')
