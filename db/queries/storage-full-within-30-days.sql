-- Which storage will be full within 30 days if it keeps growing like it did in the last 7 days?
-- Least-squares line through the hourly averages (storage_samples_1h); growth in bytes/day.
-- Shared storage appears once per node; the same line shows up for each node.
with pts as (
  select cluster_id, node, storage, ts * 1.0 as x, used_avg * 1.0 as y, total
  from storage_samples_1h
  where ts >= (select max(last_sample_ts) from clusters) - 7 * 86400
), fit as (
  select cluster_id, node, storage, count(*) as n, max(total) as total,
         (count(*) * sum(x * y) - sum(x) * sum(y)) / nullif(count(*) * sum(x * x) - sum(x) * sum(x), 0) as slope,
         avg(y) as y_avg, avg(x) as x_avg, max(x) as x_last
  from pts group by cluster_id, node, storage
)
select c.name as cluster, f.node, f.storage, f.n as hours,
       round((f.y_avg + f.slope * (f.x_last - f.x_avg)) / f.total * 100, 1) as used_pct_now,
       round(f.slope * 86400 / 1073741824, 2) as growth_gib_per_day,
       round((f.total - (f.y_avg + f.slope * (f.x_last - f.x_avg))) / (f.slope * 86400), 1) as days_until_full
from fit f join clusters c on c.id = f.cluster_id
where f.n >= 6 and f.slope > 0
  and (f.total - (f.y_avg + f.slope * (f.x_last - f.x_avg))) / (f.slope * 86400) <= 30
order by days_until_full;
