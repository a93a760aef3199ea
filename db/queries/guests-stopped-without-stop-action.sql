-- Which guests stopped in the last 30 days although nobody asked for it?
-- A running (or paused) → stopped change with no stop/shutdown request through the inbox (actions) and no
-- Proxmox stop/shutdown/hibernate task for that guest within 10 minutes before it was noticed.
-- Typical causes: crash, OOM kill, guest-internal poweroff, host reboot.
select c.name as cluster, sc.vmid, g.name, sc.node, sc.ts as noticed_at,
       datetime(sc.ts, 'unixepoch') as noticed_utc
from guest_status_changes sc
join clusters c on c.id = sc.cluster_id
left join guests g on g.cluster_id = sc.cluster_id and g.vmid = sc.vmid
where sc.from_status in ('running', 'paused') and sc.to_status = 'stopped'
  and sc.ts >= (select max(last_sample_ts) from clusters) - 30 * 86400
  and not exists (
    select 1 from actions a
    where a.cluster = c.name and a.vmid = sc.vmid and a.action in ('stop', 'shutdown', 'suspend')
      and a.received_at between sc.ts - 600 and sc.ts)
  and not exists (
    select 1 from tasks t
    where t.cluster_id = sc.cluster_id and t.vmid = sc.vmid
      and t.type in ('qmstop', 'qmshutdown', 'vzstop', 'vzshutdown', 'qmsuspend', 'vzsuspend', 'hibernate')
      and t.starttime between sc.ts - 600 and sc.ts)
order by sc.ts desc;
