-- How busy was one guest, day by day, over its whole hourly history?
-- Here: the guest with the highest CPU in the last day; replace the `pick` CTE by
-- `select 1 as cluster_id, 101 as vmid` for yours. Every hourly row covers one hour, so the day's
-- average is the plain average of its hours (weighting by sample counts would let an hour of
-- 10-second samples outweigh 180 times an hour rebuilt from 30-minute backfill points).
with pick as (
  select cluster_id, vmid from guest_samples_1h
  where ts >= (select max(ts) from guest_samples_1h) - 86400
  group by cluster_id, vmid order by avg(cpu_avg) desc limit 1
)
select s.cluster_id, s.vmid, date(s.ts, 'unixepoch') as day,
       round(avg(s.cpu_avg) * 100, 1) as cpu_avg_pct,
       round(max(s.cpu_max) * 100, 1) as cpu_peak_pct, sum(s.samples) as samples, count(*) as hours
from guest_samples_1h s join pick p on p.cluster_id = s.cluster_id and p.vmid = s.vmid
group by s.cluster_id, s.vmid, day
order by day;
