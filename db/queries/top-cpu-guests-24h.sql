-- Which guests used the most CPU over the last 24 hours?
-- Source: raw samples (kept 48 h). cpu is a fraction of the guest's vCPUs (0..1); "now" is the
-- newest sample in the database, so the query also works on a copy made with db:snapshot.
select g.cluster, g.vmid, g.name, g.node,
       round(avg(s.cpu) * 100, 1) as cpu_avg_pct,
       round(max(s.cpu) * 100, 1) as cpu_max_pct,
       count(*) as samples
from guest_samples s
join v_guest_latest g on g.cluster_id = s.cluster_id and g.vmid = s.vmid
where s.ts >= (select max(last_sample_ts) from clusters) - 86400
group by g.cluster, g.vmid, g.name, g.node
order by cpu_avg_pct desc
limit 10;
