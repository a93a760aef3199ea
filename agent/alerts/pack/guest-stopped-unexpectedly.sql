-- Guest stopped without a stop action: it went from running (or paused) to stopped with no
-- stop/shutdown request through the inbox and no Proxmox stop/shutdown task within 10 minutes
-- before. Crash, OOM kill, a poweroff inside the guest, a host reboot. Resolves when it runs again.
-- severity: warning
-- for: 0
-- labels: cluster, node, vmid
-- summary: {{type}} {{vmid}} ({{name}}) on {{node}} of {{cluster}} stopped without a stop action
select g.cluster, g.node, g.vmid, g.type, g.name from v_guest_latest g
join guest_status_changes sc on sc.cluster_id = g.cluster_id and sc.vmid = g.vmid
  and sc.ts = (select max(x.ts) from guest_status_changes x where x.cluster_id = g.cluster_id and x.vmid = g.vmid and x.ts <= :now)
where g.status = 'stopped' and g.template = 0
  and sc.from_status in ('running', 'paused') and sc.to_status = 'stopped'
  and not exists (
    select 1 from actions a
    where a.cluster = g.cluster and a.vmid = g.vmid and a.action in ('stop', 'shutdown', 'suspend')
      and a.received_at between sc.ts - 600 and sc.ts)
  and not exists (
    select 1 from tasks t
    where t.cluster_id = g.cluster_id and t.vmid = g.vmid
      and t.type in ('qmstop', 'qmshutdown', 'vzstop', 'vzshutdown', 'qmsuspend', 'vzsuspend', 'hibernate')
      and t.starttime between sc.ts - 600 and sc.ts)
