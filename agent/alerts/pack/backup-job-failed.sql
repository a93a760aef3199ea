-- A backup of a guest failed in the last 24 hours. One instance per backup task.
-- severity: warning
-- for: 0
-- labels: cluster, vmid, upid
-- summary: Backup of {{vmid}} on {{node}} of {{cluster}} failed: {{error}}
select cluster, vmid, upid, node, coalesce(error, 'failed') as error from v_backup_runs
where ok = 0 and endtime > :now - 86400 and endtime <= :now
