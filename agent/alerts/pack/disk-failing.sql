-- SMART says FAILED, or the disk used 80 % or more of its rated life.
-- severity: critical
-- for: 0
-- labels: cluster, node, devpath
-- summary: Disk {{devpath}} ({{model}}) on {{node}} of {{cluster}}: SMART {{health}}, wearout {{wearout}} %
select cluster, node, devpath, model, health, coalesce(cast(wearout as text), '?') as wearout from v_disk_latest where failing = 1
