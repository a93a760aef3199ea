-- ZFS pool not ONLINE, or with read/write/checksum errors. The error counters come from the
-- slower detail read, so a pool can fire on its health before its errors are known: the summary
-- (fixed at the transition) names the errors only when they are.
-- severity: critical
-- for: 0
-- labels: cluster, node, pool
-- summary: ZFS pool {{pool}} on {{node}} of {{cluster}} is {{health}}{{errors_note}}
select cluster, node, pool, health,
       case when total_errors > 0 then ' with ' || total_errors || ' read/write/checksum errors' else '' end as errors_note
from v_zfs_pool_latest
where health <> 'ONLINE' or total_errors > 0
