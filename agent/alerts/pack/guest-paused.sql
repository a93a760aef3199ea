-- Guest paused: a VM frozen by QEMU (out of disk space on its storage, an I/O error, or a manual
-- pause left behind). Hibernated (suspended) guests are meant to be so and are not listed.
-- severity: warning
-- for: 5m
-- labels: cluster, node, vmid
-- summary: VM {{vmid}} ({{name}}) on {{node}} of {{cluster}} is paused
select cluster, node, vmid, name from v_guest_latest where status = 'paused'
