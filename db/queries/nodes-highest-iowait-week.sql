-- Which nodes waited most on I/O this week? iowait is the fraction of CPU time (0..1) spent
-- waiting for I/O; hourly tier, last 7 days.
select cluster, node,
       round(avg(iowait_avg) * 100, 2) as iowait_avg_pct,
       round(max(iowait_max) * 100, 2) as iowait_peak_pct,
       count(*) as hours
from v_node_series_1h
where ts >= (select max(last_sample_ts) from clusters) - 7 * 86400
group by cluster, node
order by iowait_avg_pct desc;
