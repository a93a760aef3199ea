-- Which guests ran close to their memory limit in the last 24 hours (peak ≥ 40 % of maxmem)?
-- Raise the threshold (e.g. 0.9) for real alerting; 5-minute tier.
select g.cluster, g.vmid, g.name, g.maxmem / 1048576 as maxmem_mib,
       round(avg(s.mem_avg) * 1.0 / g.maxmem * 100, 1) as mem_avg_pct,
       round(max(s.mem_max) * 1.0 / g.maxmem * 100, 1) as mem_peak_pct
from guest_samples_5m s
join v_guest_latest g on g.cluster_id = s.cluster_id and g.vmid = s.vmid
where s.ts >= (select max(last_sample_ts) from clusters) - 86400 and g.maxmem > 0
group by g.cluster, g.vmid, g.name, g.maxmem
having max(s.mem_max) >= 0.4 * g.maxmem
order by mem_peak_pct desc;
