-- Guest in no backup job (Proxmox's own not-backed-up list).
-- severity: warning
-- for: 1h
-- labels: cluster, vmid
-- summary: Guest {{vmid}} ({{name}}) of {{cluster}} is in no backup job
select cluster, vmid, name from v_backup_not_in_job
