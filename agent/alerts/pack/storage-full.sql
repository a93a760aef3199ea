-- Storage at or above 90 %, or full within 7 days if it keeps growing like it did over the last
-- 7 days (least-squares line through the hourly averages, at least 12 hours of them).
-- Shared storage is one instance (node empty).
-- severity: warning
-- for: 10m
-- keep-firing-for: 30m
-- labels: cluster, node, storage
-- summary: Storage {{storage}} {{node}} of {{cluster}} is {{used_pct}} % full{{days_note}}
with pts as (
  select cluster_id, case when max(shared) over (partition by cluster_id, storage) = 1 then null else node end as node,
         storage, ts * 1.0 as x, used_avg * 1.0 as y, total
  from (select s.*, (select st.shared from storages st where st.cluster_id = s.cluster_id and st.node = s.node and st.storage = s.storage) as shared
        from storage_samples_1h s where s.ts > :now - 7 * 86400 and s.ts <= :now) h
), fit as (
  select cluster_id, node, storage, count(*) as n, max(total) as total,
         (count(*) * sum(x * y) - sum(x) * sum(y)) / nullif(count(*) * sum(x * x) - sum(x) * sum(x), 0) as slope,
         avg(y) as y_avg, avg(x) as x_avg
  from pts group by cluster_id, node, storage
), trend as (
  select cluster_id, node, storage,
         (total - (y_avg + slope * (:now - x_avg))) / (slope * 86400) as days_left
  from fit where n >= 12 and slope > 0
)
select f.cluster, f.node, f.storage, round(f.used_fraction * 100, 1) as used_pct,
       case when t.days_left is not null and t.days_left <= 7 then ', full in ' || round(case when t.days_left > 0 then t.days_left else 0 end, 1) || ' days at the current rate' else '' end as days_note
from v_storage_fill f
left join trend t on t.cluster_id = f.cluster_id and t.storage = f.storage and t.node is not distinct from f.node
where f.used_fraction >= 0.9 or (t.days_left is not null and t.days_left <= 7)
