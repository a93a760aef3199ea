-- Who started the Proxmox tasks that failed (last 30 days), and which kinds?
select cluster, coalesce(user, '?') as user, type, count(*) as failed,
       max(datetime(starttime, 'unixepoch')) as last_failure_utc,
       max(status) as example_status
from v_tasks
where outcome = 'failed'
  and starttime >= (select max(last_sample_ts) from clusters) - 30 * 86400
group by cluster, user, type
order by failed desc;
