-- A node fenced by the HA manager.
-- severity: critical
-- for: 0
-- labels: cluster, node
-- summary: Node {{node}} of {{cluster}} was fenced by HA
select cluster, node from v_ha_node_latest where fenced = 1
