-- Which disks report a failed SMART health or have used 80 % or more of their rated life?
select cluster, node, devpath, type, model, serial, health, wearout as wearout_pct_used,
       datetime(changed_at, 'unixepoch') as changed_utc
from v_disk_latest
where failing = 1
order by health = 'FAILED' desc, wearout desc;
