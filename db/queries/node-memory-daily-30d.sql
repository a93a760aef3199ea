-- How did each node's memory use develop over the last 30 days? One row per node and day
-- (UTC), average and peak of the hourly tier, as a fraction of the node's memory.
select cluster, node, date(ts, 'unixepoch') as day,
       round(avg(mem_used_avg) * 1.0 / max(mem_total) * 100, 1) as mem_avg_pct,
       round(max(mem_used_max) * 1.0 / max(mem_total) * 100, 1) as mem_peak_pct,
       round(avg(load1_avg), 2) as load1_avg
from v_node_series_1h
where ts >= (select max(last_sample_ts) from clusters) - 30 * 86400 and mem_total > 0
group by cluster, node, day
order by cluster, node, day;
