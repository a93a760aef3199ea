-- How many guests per cluster and status right now, and how much CPU and memory do they use?
select cluster, type, status, count(*) as guests,
       round(sum(cpu * maxcpu), 2) as vcpus_busy,
       round(sum(mem) / 1073741824.0, 1) as mem_used_gib,
       round(sum(maxmem) / 1073741824.0, 1) as mem_assigned_gib
from v_guest_latest
where template = 0
group by cluster, type, status
order by cluster, type, status;
