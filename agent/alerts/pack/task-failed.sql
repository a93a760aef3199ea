-- A Proxmox task failed (backup, migration, start, …) in the last hour. One instance per task;
-- it resolves by itself an hour after the task ended.
-- severity: warning
-- for: 0
-- labels: cluster, node, upid
-- summary: Task {{type}} {{object_id}} on {{node}} of {{cluster}} failed: {{status}}
select cluster, node, upid, type, coalesce(object_id, '') as object_id, status from v_tasks
where outcome = 'failed' and endtime > :now - 3600 and endtime <= :now
