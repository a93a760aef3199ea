-- Which guests used the most CPU over the last 24 hours?
-- Source: raw samples (kept 48 h). cpu is a fraction of the guest's vCPUs (0..1); "now" is the
-- newest sample in the database, so the query also works on a copy made with db:snapshot.
-- Each sample is weighted by the time it covers: the smaller of the gaps to its neighbours, so a
-- 30-minute backfill point (rrddata after a restart) counts 180 times a 10-second sample, and a
-- sample after a pause (guest stopped, agent down) does not stand for the whole pause.
with win as (
  select s.cluster_id, s.vmid, s.ts, s.cpu,
         s.ts - lag(s.ts) over w as back, lead(s.ts) over w - s.ts as ahead
  from guest_samples s
  where s.ts >= (select max(last_sample_ts) from clusters) - 86400 and s.cpu is not null
  window w as (partition by s.cluster_id, s.vmid order by s.ts)
), weighted as (
  select cluster_id, vmid, cpu, coalesce(min(back, ahead), back, ahead, 1) as secs from win
)
select g.cluster, g.vmid, g.name, g.node,
       round(sum(w.cpu * w.secs) / sum(w.secs) * 100, 1) as cpu_avg_pct,
       round(max(w.cpu) * 100, 1) as cpu_max_pct,
       count(*) as samples,
       round(sum(w.secs) / 3600.0, 1) as covered_hours
from weighted w
join v_guest_latest g on g.cluster_id = w.cluster_id and g.vmid = w.vmid
group by g.cluster, g.vmid, g.name, g.node
order by cpu_avg_pct desc
limit 10;
