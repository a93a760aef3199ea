-- Node offline: the cluster lists the node but it does not answer. Its guests' alerts are muted.
-- severity: critical
-- for: 2m
-- keep-firing-for: 1m
-- labels: cluster, node
-- mutes: true
-- summary: Node {{node}} of {{cluster}} is offline
select cluster, node from v_node_latest where status = 'offline'
