-- Which guests are not backed up within their RPO (older than it, never, or in no backup job), worst first?
select cluster, vmid, name, node, status,
       round(age_s / 3600.0, 1) as age_hours,
       round(rpo_s / 3600.0, 1) as rpo_hours,
       datetime(last_ok_end, 'unixepoch') as last_ok_utc,
       datetime(last_fail_end, 'unixepoch') as last_failure_utc,
       last_fail_error
from v_backup_guest
where status <> 'ok'
order by case status when 'never' then 0 when 'overdue' then 1 else 2 end,
         1.0 * age_s / rpo_s desc, cluster, vmid;
