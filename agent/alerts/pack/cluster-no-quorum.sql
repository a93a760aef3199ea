-- Cluster without quorum: corosync lost the majority; HA and configuration changes stop.
-- A standalone host (no cluster name) has no quorum to lose.
-- severity: critical
-- for: 2m
-- labels: cluster
-- summary: Cluster {{cluster}} has no quorum ({{node_count}} nodes known)
select cluster, node_count from v_cluster_latest
where quorate = 0 and pve_name is not null and last_error is null
