-- Ceph is not HEALTH_OK.
-- severity: warning
-- for: 5m
-- labels: cluster
-- summary: Ceph of {{cluster}} is {{health}}
select cluster, health from v_ceph_latest where health <> 'HEALTH_OK'
