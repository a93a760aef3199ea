-- Storage not available: Proxmox lists it but cannot use it (unmounted, NFS server gone, …).
-- While this fires, the storage's other alerts are muted.
-- severity: critical
-- for: 2m
-- labels: cluster, node, storage
-- mutes: true
-- summary: Storage {{storage}} on {{node}} of {{cluster}} is {{status}}
select s.cluster, s.node, s.storage, s.status from v_storage_latest s
join v_node_latest n on n.cluster_id = s.cluster_id and n.node = s.node
where s.status <> 'available' and n.status = 'online'
