-- Which storage will be full within 30 days if it keeps growing like it did in the last 7 days?
-- Least-squares line through the hourly averages (storage_samples_1h); growth in bytes/day.
-- Shared storage appears once per node; the same line shows up for each node.
-- A storage with fewer than 6 hourly points has no trend yet: it gets a row saying so (with the
-- hours it has) instead of being left out without a word.
with pts as (
  select cluster_id, node, storage, ts * 1.0 as x, used_avg * 1.0 as y, total
  from storage_samples_1h
  where ts >= (select max(last_sample_ts) from clusters) - 7 * 86400
), known as (
  select cluster_id, node, storage from storages
  union
  select cluster_id, node, storage from pts
), fit as (
  select k.cluster_id, k.node, k.storage, count(p.x) as n, max(p.total) as total,
         (count(p.x) * sum(p.x * p.y) - sum(p.x) * sum(p.y)) / nullif(count(p.x) * sum(p.x * p.x) - sum(p.x) * sum(p.x), 0) as slope,
         avg(p.y) as y_avg, avg(p.x) as x_avg, max(p.x) as x_last
  from known k left join pts p on p.cluster_id = k.cluster_id and p.node = k.node and p.storage = k.storage
  group by k.cluster_id, k.node, k.storage
), answer as (
select c.name as cluster, f.node, f.storage, f.n as hours,
       round((f.y_avg + f.slope * (f.x_last - f.x_avg)) / f.total * 100, 1) as used_pct_now,
       round(f.slope * 86400 / 1073741824, 2) as growth_gib_per_day,
       round((f.total - (f.y_avg + f.slope * (f.x_last - f.x_avg))) / (f.slope * 86400), 1) as days_until_full,
       'full within 30 days at this rate' as note
from fit f join clusters c on c.id = f.cluster_id
where f.n >= 6 and f.slope > 0
  and (f.total - (f.y_avg + f.slope * (f.x_last - f.x_avg))) / (f.slope * 86400) <= 30
union all
select c.name, f.node, f.storage, f.n, null, null, null,
       'not enough history yet: ' || f.n || ' hourly point(s) of the 6 a trend needs'
from fit f join clusters c on c.id = f.cluster_id
where f.n < 6
)
select * from answer
order by days_until_full is null, days_until_full, cluster, node, storage;
