-- ZFS pool not ONLINE, or with read/write/checksum errors.
-- severity: critical
-- for: 0
-- labels: cluster, node, pool
-- summary: ZFS pool {{pool}} on {{node}} of {{cluster}} is {{health}} with {{total_errors}} errors
select cluster, node, pool, health, coalesce(total_errors, 0) as total_errors from v_zfs_pool_latest
where health <> 'ONLINE' or total_errors > 0
