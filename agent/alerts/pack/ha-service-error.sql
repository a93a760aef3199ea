-- HA service in error or fenced.
-- severity: critical
-- for: 1m
-- labels: cluster, sid
-- summary: HA service {{sid}} of {{cluster}} is {{state}}
select cluster, sid, state from v_ha_service_latest where failing = 1
