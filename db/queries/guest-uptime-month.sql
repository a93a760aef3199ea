-- What fraction of the last 30 days was each guest running?
-- Built from status changes: each change opens an interval that lasts until the next change
-- (or until now). Guests first seen during the month count from their first sighting.
with bounds as (
  select (select max(last_sample_ts) from clusters) as t_end,
         (select max(last_sample_ts) from clusters) - 30 * 86400 as t_start
), changes as (
  select sc.cluster_id, sc.vmid, sc.ts, sc.to_status,
         lead(sc.ts) over (partition by sc.cluster_id, sc.vmid order by sc.ts) as next_ts
  from guest_status_changes sc
), spans as (
  select ch.cluster_id, ch.vmid, ch.to_status,
         max(ch.ts, b.t_start) as s, min(coalesce(ch.next_ts, b.t_end), b.t_end) as e
  from changes ch, bounds b
  where coalesce(ch.next_ts, b.t_end) > b.t_start
)
select c.name as cluster, sp.vmid, g.name,
       round(100.0 * sum(case when sp.to_status = 'running' then sp.e - sp.s else 0 end) / nullif(sum(sp.e - sp.s), 0), 2) as running_pct,
       round(sum(sp.e - sp.s) / 86400.0, 1) as observed_days
from spans sp
join clusters c on c.id = sp.cluster_id
join guests g on g.cluster_id = sp.cluster_id and g.vmid = sp.vmid
where sp.e > sp.s and g.template = 0
group by c.name, sp.vmid, g.name
order by running_pct, sp.vmid;
