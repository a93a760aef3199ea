-- Which backups failed in the last 7 days, on which node, and why?
select cluster, vmid, node, datetime(starttime, 'unixepoch') as started_utc, error, upid
from v_backup_runs
where ok = 0
  and starttime >= (select max(last_sample_ts) from clusters) - 7 * 86400
order by starttime desc;
