-- A node has run an older kernel than the newest installed one for 7 days.
-- severity: info
-- for: 0
-- labels: cluster, node
-- summary: Node {{node}} of {{cluster}} needs a reboot (kernel {{newest_kernel}} installed, {{running_kernel}} running)
select cluster, node, newest_kernel, running_kernel from v_node_software where reboot_required = 1 and reboot_pending_s >= 7 * 86400
