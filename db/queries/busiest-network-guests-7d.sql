-- Which guests moved the most network traffic in the last 7 days? Rates are bytes/s averaged
-- per hour; traffic = rate × 3600 s per hour summed (hours with no sample count as zero).
-- `hours` says how much of the week the history covers (168 = all of it).
select cluster, vmid,
       round(sum(coalesce(netin_avg, 0) + coalesce(netout_avg, 0)) * 3600 / 1073741824.0, 2) as traffic_gib,
       round(max(max(coalesce(netin_max, 0), coalesce(netout_max, 0))) / 1048576.0, 2) as peak_mib_per_s,
       count(*) as hours
from v_guest_series_1h
where ts >= (select max(last_sample_ts) from clusters) - 7 * 86400
group by cluster, vmid
order by traffic_gib desc
limit 10;
